/*
 * pid 1: spawns the workload, waits for each child in spawn order, checks
 * its exit code and prints a summary.  Its own exit code (the number of
 * unexpected results) is what the kernel writes to isa-debug-exit.
 */
#include "ulib.h"

struct child {
	int program;
	const char *name;
	long expected; /* exit code */
	long pid;
};

static struct child children[] = {
	{ PROG_BENCH, "bench", 0, 0 },
	{ PROG_BENCH, "bench", 0, 0 },
	{ PROG_TICKER, "ticker", 0, 0 },
	{ PROG_DEBUGEE, "debugee", 0, 0 },
	{ PROG_FAULTER, "faulter", 128 + 14, 0 }, /* killed by #PF */
};

#define NCHILDREN ((int)(sizeof(children) / sizeof(children[0])))

int main(void)
{
	int unexpected = 0, as_expected = 0;

	printf("started as pid %ld\n", getpid());
	for (int i = 0; i < NCHILDREN; i++) {
		children[i].pid = spawn(children[i].program);
		printf("spawned %s as pid %ld\n", children[i].name, children[i].pid);
	}
	for (int i = 0; i < NCHILDREN; i++) {
		struct child *c = &children[i];

		if (c->pid < 0) {
			unexpected++;
			continue;
		}
		long code = wait_pid(c->pid);
		bool ok = code == c->expected;
		printf("pid %ld (%s) exited with code %ld: %s\n", c->pid, c->name, code,
		       ok ? "as expected" : "UNEXPECTED");
		if (ok)
			as_expected++;
		else
			unexpected++;
	}
	printf("summary: %d children, %d as expected, %d unexpected\n", NCHILDREN, as_expected,
	       unexpected);
	return unexpected;
}
