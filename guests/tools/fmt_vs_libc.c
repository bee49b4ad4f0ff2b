/*
 * Host-only check: lib/fmt.c must agree with glibc's snprintf on every
 * case in corpus/format_cases.h, and on truncation at every buffer size.
 * Built and run by `make -C guests check-host`; prints a summary and
 * exits non-zero on any mismatch.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"

static int total, failures;

static void compare(const char *format, const char *ours, int n_ours,
		    const char *libc, int n_libc)
{
	total++;
	if (n_ours == n_libc && strcmp(ours, libc) == 0)
		return;
	failures++;
	printf("MISMATCH %-22s fmt \"%s\" (%d)  libc \"%s\" (%d)\n", format, ours,
	       n_ours, libc, n_libc);
}

#define CASE(f, ...)                                                    \
	do {                                                            \
		char a_[160], b_[160];                                  \
		int na_ = sfmt(a_, sizeof(a_), f, ##__VA_ARGS__);       \
		int nb_ = snprintf(b_, sizeof(b_), f, ##__VA_ARGS__);   \
		compare(f, a_, na_, b_, nb_);                           \
	} while (0)

int main(void)
{
#include "../corpus/format_cases.h"

	/* Truncation is the point here; don't let gcc warn about it. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
	for (size_t size = 0; size <= 20; size++) {
		char a[32], b[32];
		memset(a, '#', sizeof(a));
		memset(b, '#', sizeof(b));
		int na = sfmt(a, size, "%d:%s:%x", -123456, "abcdefgh", 0xabcu);
		int nb = snprintf(b, size, "%d:%s:%x", -123456, "abcdefgh", 0xabcu);
		total++;
		if (na != nb || memcmp(a, b, sizeof(a)) != 0) {
			failures++;
			printf("MISMATCH truncation at size %zu\n", size);
		}
	}

	printf("fmt vs libc snprintf: %d checks, %d mismatches\n", total,
	       failures);
	fflush(stdout);
	return failures != 0;
}
