/*
 * 64-bit and 32-bit signed/unsigned division and remainder.
 *
 * Operands go through OPAQUE() so that gcc emits real div/idiv
 * instructions instead of folding constants; a second section divides by
 * compile-time constants, which gcc turns into multiply-high/shift
 * sequences.  INT64_MIN / -1 (and INT32_MIN / -1) would trap (#DE) and
 * are skipped.  Every result is also checked against the identity
 * a == q*b + r with |r| < |b| and r having the sign of a.
 */
#include <limits.h>
#include <stdint.h>

#include "compiler.h"
#include "fmt.h"

static const int64_t dividends[] = {
	0, 1, -1, 2, -2, 7, -7, 100, -100, 1000000007, -1000000007,
	INT32_MAX, INT32_MIN, (int64_t)UINT32_MAX, (int64_t)1 << 32,
	-((int64_t)1 << 32), 0x0123456789abcdefLL, -0x0123456789abcdefLL,
	INT64_MAX, INT64_MIN, INT64_MIN + 1, 0x7fffffff00000000LL,
};

static const int64_t divisors[] = {
	1, -1, 2, -2, 3, -3, 7, 10, -10, 16, 1000000007, INT32_MAX, INT32_MIN,
	(int64_t)UINT32_MAX, (int64_t)1 << 32, 0x123456789LL, INT64_MAX,
	INT64_MIN,
};

static int failures;

static uint64_t mag(int64_t v)
{
	return v < 0 ? -(uint64_t)v : (uint64_t)v;
}

static void check_signed(int64_t a, int64_t b, int64_t q, int64_t r)
{
	/* Checked in unsigned arithmetic: q*b may wrap, the identity still holds. */
	int ok = (uint64_t)q * (uint64_t)b + (uint64_t)r == (uint64_t)a &&
		 mag(r) < mag(b) && (r == 0 || (r < 0) == (a < 0));
	if (!ok) {
		failures++;
		fmt("  SIGNED IDENTITY FAILED for %ld / %ld\n", a, b);
	}
}

static void check_unsigned(uint64_t a, uint64_t b, uint64_t q, uint64_t r)
{
	if (q * b + r != a || r >= b) {
		failures++;
		fmt("  UNSIGNED IDENTITY FAILED for %lu / %lu\n", a, b);
	}
}

static void variable_divisors(void)
{
	fmt("64-bit, run-time operands: a / b -> signed q r | unsigned q r\n");
	for (size_t i = 0; i < ARRAY_SIZE(dividends); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(divisors); j++) {
			int64_t a = dividends[i], b = divisors[j];
			uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
			OPAQUE(a);
			OPAQUE(b);
			OPAQUE(ua);
			OPAQUE(ub);

			uint64_t uq = ua / ub, ur = ua % ub;
			check_unsigned(ua, ub, uq, ur);

			if (a == INT64_MIN && b == -1) {
				fmt("%ld / %ld: (overflow, skipped) | %lx %lx\n", a,
				    b, uq, ur);
				continue;
			}
			int64_t q = a / b, r = a % b;
			check_signed(a, b, q, r);
			fmt("%ld / %ld: %ld %ld | %lx %lx\n", a, b, q, r, uq, ur);
		}
	}
}

static void narrow_divisors(void)
{
	fmt("32-bit, run-time operands\n");
	for (size_t i = 0; i < ARRAY_SIZE(dividends); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(divisors); j++) {
			int32_t a = (int32_t)dividends[i], b = (int32_t)divisors[j];
			uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
			OPAQUE(a);
			OPAQUE(b);
			OPAQUE(ua);
			OPAQUE(ub);
			if (b == 0) /* truncation made it zero, e.g. 1 << 32 */
				continue;
			if (a == INT32_MIN && b == -1)
				continue;
			int32_t q = a / b, r = a % b;
			uint32_t uq = ua / ub, ur = ua % ub;
			if ((uint32_t)q * (uint32_t)b + (uint32_t)r != (uint32_t)a ||
			    uq * ub + ur != ua || ur >= ub) {
				failures++;
				fmt("  32-BIT IDENTITY FAILED\n");
			}
			/* Print a sample only; all pairs are checked. */
			if ((i + j) % 5 == 0)
				fmt("%d / %d: %d %d | %x %x\n", a, b, q, r, uq, ur);
		}
	}
}

static void constant_divisors(void)
{
	fmt("constant divisors (multiply-high sequences)\n");
	for (size_t i = 0; i < ARRAY_SIZE(dividends); i++) {
		int64_t a = dividends[i];
		uint64_t u = (uint64_t)a;
		OPAQUE(a);
		OPAQUE(u);
		fmt("%ld: /3 %ld %%3 %ld  /10 %ld %%10 %ld  /-7 %ld  /1e9+7 %ld  "
		    "u/10 %lu u%%10 %lu  u/7 %lu  u/1e9 %lu  u>>3 %lu\n",
		    a, a / 3, a % 3, a / 10, a % 10, a / -7, a / 1000000007,
		    u / 10, u % 10, u / 7, u / 1000000000, u / 8);
		int32_t s = (int32_t)a;
		uint32_t w = (uint32_t)a;
		fmt("    32-bit %d: /3 %d /10 %d %%10 %d  u/10 %u u%%7 %u\n", s,
		    s / 3, s / 10, s % 10, w / 10, w % 7);
	}
}

/* Many divisions of pseudo-random values, folded into one checksum. */
static void bulk(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ull, sum = 0;

	for (int i = 0; i < 20000; i++) {
		x ^= x << 7;
		x ^= x >> 9;
		uint64_t d = (x >> (i % 61)) | 1; /* varied magnitude, never 0 */
		int64_t sa = (int64_t)x, sd = (int64_t)(d ^ (uint64_t)i << 40);
		if (sd == -1)
			sd = 3;
		sum = sum * 31 + x / d + x % d;
		sum ^= (uint64_t)(sa / sd) + (uint64_t)(sa % sd);
		check_unsigned(x, d, x / d, x % d);
	}
	fmt("bulk checksum %016lx\n", sum);
}

int main(void)
{
	variable_divisors();
	narrow_divisors();
	constant_divisors();
	bulk();
	fmt("%s\n", failures ? "SOME DIVISIONS WRONG" : "all divisions ok");
	return failures;
}
