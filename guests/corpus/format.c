/*
 * The printf-style formatter (lib/fmt.c) on its own: every conversion,
 * flag, width and precision case from format_cases.h, plus buffer
 * truncation and return values.
 *
 * Output is independent of pointer values and of the libc; the hosted
 * check (tools/fmt_vs_libc.c) separately verifies the same cases against
 * glibc's snprintf.
 */
#include <limits.h>
#include <stdint.h>

#include "compiler.h"
#include "fmt.h"

static int cases;

static void report(const char *format, const char *out, int n)
{
	cases++;
	fmt("%-22s -> \"%s\" (%d)\n", format, out, n);
}

#define CASE(f, ...)                                                  \
	do {                                                          \
		char out_[160];                                       \
		int n_ = sfmt(out_, sizeof(out_), f, ##__VA_ARGS__);  \
		report(f, out_, n_);                                  \
	} while (0)

static void run_cases(void)
{
#include "format_cases.h"
}

static void truncation(void)
{
	char buf[16];

	fmt("truncation of \"%%d:%%s\" with 123456, \"abcdefgh\":\n");
	for (size_t size = 0; size <= 16; size += 3) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = '#';
		int n = sfmt(buf, size, "%d:%s", 123456, "abcdefgh");
		fmt("  size %2zu -> %d \"", size, n);
		/* Show the buffer up to its NUL (or all of it if none was due). */
		for (size_t i = 0; i < sizeof(buf) && (size == 0 || buf[i]); i++) {
			fmt("%c", buf[i]);
			if (size == 0 && i == 3) /* untouched: four '#' suffice */
				break;
		}
		fmt("\"\n");
	}
}

int main(void)
{
	fmt("fmt self-test\n");
	run_cases();
	truncation();

	/* Direct-to-console formatting and its return value. */
	int n = fmt("%s|%8d|%-8x|%08lx|%c|%%\n", "console", -1234, 0xbeefu,
		    0x1234abcdul, '!');
	fmt("previous line was %d characters\n", n);

	/* Every value of a small range in several bases and widths. */
	for (int v = -20; v <= 20; v += 4)
		fmt("%4d %4u %08x %3o %+d\n", v, (unsigned)(v & 0xff),
		    (unsigned)v, (unsigned)(v & 0x3f), v);

	fmt("%d cases\n", cases);
	return 0;
}
