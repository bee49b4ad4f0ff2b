/*
 * The self-test harness: runs every check of tests.h in order, prints one
 * line per check on COM1, a summary line, and returns the number of
 * failures (written to isa-debug-exit by entry.S).
 *
 * A check is printed as "selftest: <name>: " *before* it runs, so a check
 * that hangs the machine is visible as an unterminated line.  Checks can
 * be skipped from the kernel command line (QEMU -append):
 *   selftest.skip=exc-bp,nmi-blocking
 */
#include <stdarg.h>
#include <stddef.h>

#include "apic.h"
#include "arch.h"
#include "desc.h"
#include "mem.h"
#include "selftest.h"
#include "tests.h"
#include "trap.h"

struct test {
	const char *name;
	void (*fn)(void);
};

#define TEST_ENTRY(name, fn) { name, fn },
static const struct test tests[] = { SELFTEST_LIST(TEST_ENTRY) };
#undef TEST_ENTRY

static char fail_buf[400];
static size_t fail_len;
static int fail_count_cur;
static char note_buf[120];
static char skip_buf[120];

static void append(char *buf, size_t size, size_t *len, const char *format, va_list ap)
{
	if (*len >= size - 1)
		return;
	int n = vsfmt(buf + *len, size - *len, format, ap);
	*len += (size_t)n;
	if (*len > size - 1)
		*len = size - 1;
}

void test_fail(const char *format, ...)
{
	va_list ap;
	if (fail_count_cur++ > 0 && fail_len < sizeof(fail_buf) - 1) {
		size_t n = 0;
		while ("; "[n] && fail_len < sizeof(fail_buf) - 1)
			fail_buf[fail_len++] = "; "[n++];
		fail_buf[fail_len] = 0;
	}
	va_start(ap, format);
	append(fail_buf, sizeof(fail_buf), &fail_len, format, ap);
	va_end(ap);
}

void test_note(const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	vsfmt(note_buf, sizeof(note_buf), format, ap);
	va_end(ap);
}

void test_skip(const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	vsfmt(skip_buf, sizeof(skip_buf), format, ap);
	va_end(ap);
}

int test_failed(void)
{
	return fail_count_cur != 0;
}

/* Is `name` listed in selftest.skip=a,b,c on the command line? */
static int skipped_by_cmdline(const char *name)
{
	static const char key[] = "selftest.skip=";
	const char *p = boot.cmdline;
	size_t nlen = strlen(name);
	for (; *p; p++) {
		if (p != boot.cmdline && p[-1] != ' ')
			continue;
		size_t k = 0;
		while (key[k] && p[k] == key[k])
			k++;
		if (key[k])
			continue;
		const char *q = p + k;
		while (*q && *q != ' ') {
			const char *e = q;
			while (*e && *e != ',' && *e != ' ')
				e++;
			if ((size_t)(e - q) == nlen && memcmp(q, name, nlen) == 0)
				return 1;
			q = *e == ',' ? e + 1 : e;
		}
	}
	return 0;
}

/* Put the CPU back into the state every check starts from. */
static void reset_state(void)
{
	cli();
	load_kernel_segments();
	struct dtr idtr = { sizeof(idt) - 1, (uint64_t)idt };
	lidt(&idtr);
	for (int v = 0; v < 256; v++)
		idt_restore(v);
	wrmsr(MSR_FS_BASE, 0);
	wrmsr(MSR_GS_BASE, 0);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	write_cr0(read_cr0() | CR0_WP);
	write_cr0(read_cr0() & ~(uint64_t)CR0_AM);
	write_cr8(0);
	write_dr7(0x400);
	write_dr6(0xffff0ff0);
	iret_to_self();		/* ends NMI blocking of an abandoned handler */
	lldt(0);
	bsp_tss.rsp[0] = rsp0_stack_top;
	test_region_reset();
	apic_quiesce();
	trap_reset();
}

static int passed, failed, skipped;
int test_output_ok_printed;

static void run_test(const struct test *t)
{
	fmt("selftest: %s: ", t->name);
	fail_len = 0;
	fail_buf[0] = 0;
	fail_count_cur = 0;
	note_buf[0] = 0;
	skip_buf[0] = 0;
	test_output_ok_printed = 0;

	if (skipped_by_cmdline(t->name)) {
		test_skip("command line");
	} else {
		if (st_setjmp(&test_abort_jb) == 0) {
			test_abort_armed = 1;
			t->fn();
		}
		test_abort_armed = 0;
		reset_state();
	}

	if (fail_count_cur) {
		fmt("%sFAIL %s\n", test_output_ok_printed ? " " : "", fail_buf);
		failed++;
	} else if (skip_buf[0]) {
		fmt("skip (%s)\n", skip_buf);
		skipped++;
	} else if (test_output_ok_printed) {
		fmt("\n");
		passed++;
	} else if (note_buf[0]) {
		fmt("ok (%s)\n", note_buf);
		passed++;
	} else {
		fmt("ok\n");
		passed++;
	}
}

int selftest_main(void);
int selftest_main(void)
{
	boot_info_copy();
	desc_init();
	apic_init();
	test_region_init();
	trap_reset();

	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		run_test(&tests[i]);

	if (skipped)
		fmt("selftest: summary: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	else
		fmt("selftest: summary: %d passed, %d failed\n", passed, failed);
	return failed;
}
