/*
 * run_elf: run a freestanding corpus image as an ordinary Linux process,
 * emulating its few privileged instructions with ptrace.  A boot smoke
 * test that needs neither QEMU nor the tsvmi emulator.
 *
 * The images are static ET_EXEC files linked at 1 MiB, so the kernel can
 * exec them directly; Linux then provides what the tsvmi loader would
 * (64-bit mode, flat identity-like mapping of the segments, a valid RSP).
 * At CPL 3 the image's privileged instructions fault with SIGSEGV; the
 * tracer decodes them and plays the devices of the boot contract:
 *
 *   cli, sti              ignored
 *   in  from 0x3fd (LSR)  0x60: transmitter empty
 *   out to 0x3f8 (THR)    byte appended to our stdout
 *   out to 0xf4           isa-debug-exit: value is the guest's exit status
 *   hlt                   guest stopped without exiting: error
 *
 * Anything else (a real fault, an unexpected port) stops the guest with
 * a diagnostic.  Exit status: the value written to port 0xf4 (so 0 when
 * main returned 0), or 125 on any error.
 *
 * What this does NOT test: the guest's behaviour under our page tables,
 * CPL 0 and the real UART.  Start code and ports are what it covers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define COM1_THR 0x3f8
#define COM1_LSR 0x3fd
#define DEBUG_EXIT 0xf4
#define ERROR_STATUS 125

static pid_t child;

static void die(const char *what)
{
	fprintf(stderr, "run_elf: %s\n", what);
	if (child > 0)
		kill(child, SIGKILL);
	exit(ERROR_STATUS);
}

static uint8_t port_in(unsigned port)
{
	if (port == COM1_LSR)
		return 0x60; /* THRE | TEMT */
	fprintf(stderr, "run_elf: unexpected in from port %#x\n", port);
	die("unsupported port");
	return 0;
}

/* Returns 1 when the guest has exited through isa-debug-exit. */
static int port_out(unsigned port, uint32_t value, int *status)
{
	switch (port) {
	case COM1_THR: {
		char c = (char)value;
		if (fwrite(&c, 1, 1, stdout) != 1)
			die("stdout write failed");
		return 0;
	}
	case DEBUG_EXIT:
		*status = (int)value;
		return 1;
	default:
		fprintf(stderr, "run_elf: unexpected out %#x to port %#x\n", value,
			port);
		die("unsupported port");
		return 0;
	}
}

/* Emulate the faulting instruction; returns 1 when the guest exited. */
static int emulate(struct user_regs_struct *r, int *status)
{
	errno = 0;
	long word = ptrace(PTRACE_PEEKTEXT, child, (void *)r->rip, NULL);
	if (errno)
		die("cannot read guest instruction");
	uint8_t b[8];
	memcpy(b, &word, sizeof(b));

	unsigned dx = (unsigned)(r->rdx & 0xffff);
	switch (b[0]) {
	case 0xfa: /* cli */
	case 0xfb: /* sti */
		r->rip += 1;
		return 0;
	case 0xec: /* in al, dx */
		r->rax = (r->rax & ~0xffull) | port_in(dx);
		r->rip += 1;
		return 0;
	case 0xe4: /* in al, imm8 */
		r->rax = (r->rax & ~0xffull) | port_in(b[1]);
		r->rip += 2;
		return 0;
	case 0xee: /* out dx, al */
		r->rip += 1;
		return port_out(dx, (uint8_t)r->rax, status);
	case 0xe6: /* out imm8, al */
		r->rip += 2;
		return port_out(b[1], (uint8_t)r->rax, status);
	case 0xef: /* out dx, eax */
		r->rip += 1;
		return port_out(dx, (uint32_t)r->rax, status);
	case 0xe7: /* out imm8, eax */
		r->rip += 2;
		return port_out(b[1], (uint32_t)r->rax, status);
	case 0xf4:
		die("guest executed hlt without writing to isa-debug-exit");
		return 0;
	default:
		fprintf(stderr,
			"run_elf: fault at rip %#llx, bytes %02x %02x %02x %02x\n",
			r->rip, b[0], b[1], b[2], b[3]);
		die("guest crashed");
		return 0;
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: run_elf IMAGE.elf\n");
		return ERROR_STATUS;
	}

	child = fork();
	if (child < 0)
		die("fork failed");
	if (child == 0) {
		char *const args[] = { argv[1], NULL };
		char *const env[] = { NULL };
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execve(argv[1], args, env);
		perror("run_elf: execve");
		_exit(ERROR_STATUS);
	}

	int ws, status = 0;
	/* First stop: SIGTRAP after a successful execve. */
	if (waitpid(child, &ws, 0) < 0 || !WIFSTOPPED(ws))
		die("guest did not start");
	ptrace(PTRACE_SETOPTIONS, child, NULL, (void *)PTRACE_O_EXITKILL);

	for (;;) {
		if (ptrace(PTRACE_CONT, child, NULL, NULL) < 0)
			die("PTRACE_CONT failed");
		if (waitpid(child, &ws, 0) < 0)
			die("waitpid failed");
		if (WIFEXITED(ws) || WIFSIGNALED(ws))
			die("guest process ended unexpectedly");
		int sig = WSTOPSIG(ws);
		if (sig != SIGSEGV) {
			fprintf(stderr, "run_elf: guest stopped by signal %d (%s)\n",
				sig, strsignal(sig));
			die("guest crashed");
		}

		struct user_regs_struct regs;
		if (ptrace(PTRACE_GETREGS, child, NULL, &regs) < 0)
			die("PTRACE_GETREGS failed");
		if (emulate(&regs, &status))
			break;
		if (ptrace(PTRACE_SETREGS, child, NULL, &regs) < 0)
			die("PTRACE_SETREGS failed");
	}

	kill(child, SIGKILL);
	waitpid(child, &ws, 0);
	fflush(stdout);
	return status;
}
