/*
 * Arbitrary-precision unsigned integers: 32-bit limbs, 64-bit intermediates.
 *
 * Computes factorials, powers and Fibonacci numbers with schoolbook
 * multiplication and converts them to decimal by repeated division by
 * 10^9, then checks them against known values.  Exercises 32x32->64
 * multiplies, carry propagation and 64/32 division.
 */
#include <stdint.h>

#include "compiler.h"
#include "fmt.h"
#include "mem.h"

#define LIMBS 48 /* 1536 bits: enough for 100! (525 bits) */

struct big {
	int n;              /* limbs in use; d[n-1] != 0 unless n == 0 */
	uint32_t d[LIMBS];  /* little-endian */
};

static int overflowed;

static void trim(struct big *a)
{
	while (a->n > 0 && a->d[a->n - 1] == 0)
		a->n--;
}

static void big_set(struct big *a, uint64_t v)
{
	a->d[0] = (uint32_t)v;
	a->d[1] = (uint32_t)(v >> 32);
	a->n = 2;
	trim(a);
}

static void push_carry(struct big *a, uint64_t carry)
{
	while (carry) {
		if (a->n == LIMBS) {
			overflowed = 1;
			return;
		}
		a->d[a->n++] = (uint32_t)carry;
		carry >>= 32;
	}
}

static void big_mul_small(struct big *a, uint32_t m)
{
	uint64_t carry = 0;

	for (int i = 0; i < a->n; i++) {
		uint64_t t = (uint64_t)a->d[i] * m + carry;
		a->d[i] = (uint32_t)t;
		carry = t >> 32;
	}
	push_carry(a, carry);
	trim(a);
}

static void big_add(struct big *r, const struct big *a, const struct big *b)
{
	const struct big *lo = a->n < b->n ? a : b, *hi = a->n < b->n ? b : a;
	uint64_t carry = 0;
	int i;

	for (i = 0; i < hi->n; i++) {
		uint64_t t = (uint64_t)hi->d[i] + (i < lo->n ? lo->d[i] : 0) + carry;
		r->d[i] = (uint32_t)t;
		carry = t >> 32;
	}
	r->n = hi->n;
	push_carry(r, carry);
}

/* r = a * b; r must not alias a or b. */
static void big_mul(struct big *r, const struct big *a, const struct big *b)
{
	if (a->n + b->n > LIMBS) {
		overflowed = 1;
		r->n = 0;
		return;
	}
	memset(r->d, 0, sizeof(uint32_t) * (size_t)(a->n + b->n));
	for (int i = 0; i < a->n; i++) {
		uint64_t carry = 0;
		for (int j = 0; j < b->n; j++) {
			/* 32x32 + 32 + 32 always fits in 64 bits. */
			uint64_t t = (uint64_t)a->d[i] * b->d[j] + r->d[i + j] + carry;
			r->d[i + j] = (uint32_t)t;
			carry = t >> 32;
		}
		r->d[i + b->n] = (uint32_t)carry;
	}
	r->n = a->n + b->n;
	trim(r);
}

static void big_pow(struct big *r, uint32_t base, unsigned exp)
{
	struct big b, t;

	big_set(r, 1);
	big_set(&b, base);
	/* Square-and-multiply, most significant exponent bit first. */
	for (int bit = 31; bit >= 0; bit--) {
		big_mul(&t, r, r);
		*r = t;
		if (exp >> bit & 1) {
			big_mul(&t, r, &b);
			*r = t;
		}
	}
}

/* a /= d, returns a % d. */
static uint32_t big_divmod_small(struct big *a, uint32_t d)
{
	uint64_t rem = 0;

	for (int i = a->n - 1; i >= 0; i--) {
		uint64_t cur = rem << 32 | a->d[i];
		a->d[i] = (uint32_t)(cur / d);
		rem = cur % d;
	}
	trim(a);
	return (uint32_t)rem;
}

/* Decimal string of a into out (cap bytes). */
static void big_to_dec(const struct big *a, char *out, size_t cap)
{
	struct big t = *a;
	uint32_t chunks[LIMBS * 2]; /* base 10^9 digits, least significant first */
	int n = 0;
	size_t len = 0;

	do {
		chunks[n++] = big_divmod_small(&t, 1000000000u);
	} while (t.n > 0);

	len += (size_t)sfmt(out, cap, "%u", chunks[n - 1]);
	for (int i = n - 2; i >= 0; i--)
		len += (size_t)sfmt(out + len, len < cap ? cap - len : 0, "%09u",
				    chunks[i]);
}

static int failures;

static void show(const char *label, const struct big *a, const char *expect)
{
	static char dec[LIMBS * 10 + 1];

	big_to_dec(a, dec, sizeof(dec));
	fmt("%s (%d limbs) =\n  %s\n", label, a->n, dec);
	if (expect) {
		int ok = strcmp(dec, expect) == 0;
		failures += !ok;
		fmt("  %s\n", ok ? "ok" : "MISMATCH");
	}
}

int main(void)
{
	struct big a, b, c;

	fmt("bignum (32-bit limbs)\n");

	big_set(&a, 1);
	for (uint32_t i = 2; i <= 50; i++)
		big_mul_small(&a, i);
	show("50!", &a,
	     "30414093201713378043612608166064768844377641568960512000000000000");

	for (uint32_t i = 51; i <= 100; i++)
		big_mul_small(&a, i);
	show("100!", &a,
	     "93326215443944152681699238856266700490715968264381621468592963895"
	     "217599993229915608941463976156518286253697920827223758251185210916"
	     "864000000000000000000000000");

	/* Digit sum of 100! by peeling decimal digits off a copy. */
	b = a;
	unsigned digit_sum = 0;
	while (b.n > 0)
		digit_sum += big_divmod_small(&b, 10);
	failures += digit_sum != 648;
	fmt("digit sum of 100! = %u %s\n", digit_sum,
	    digit_sum == 648 ? "ok" : "MISMATCH");

	big_pow(&a, 2, 200);
	show("2^200", &a,
	     "1606938044258990275541962092341162602522202993782792835301376");
	fmt("  hex:");
	for (int i = a.n - 1; i >= 0; i--)
		fmt(" %08x", a.d[i]);
	fmt("\n");

	big_pow(&a, 3, 100);
	show("3^100", &a, "515377520732011331036461129765621272702107522001");

	/* (2^127 - 1)^2: 2^127 - 1 is 127 one bits, squared by big_mul. */
	for (int i = 0; i < 4; i++)
		a.d[i] = 0xffffffffu;
	a.d[3] = 0x7fffffffu;
	a.n = 4;
	big_mul(&c, &a, &a);
	show("(2^127-1)^2", &c,
	     "28948022309329048855892746252171976962977213799489202546401021394"
	     "546514198529");

	/* 7^77 * 11^55: product of two multi-limb numbers of different sizes. */
	big_pow(&a, 7, 77);
	big_pow(&b, 11, 55);
	big_mul(&c, &a, &b);
	show("7^77 * 11^55", &c,
	     "22343271602994070735073810623517820707142780805339603250754431708"
	     "3739428388361027055352713797416573315338772557284238037557");

	/* Fibonacci(300) by repeated addition. */
	big_set(&a, 0);
	big_set(&b, 1);
	for (int i = 0; i < 300; i++) {
		big_add(&c, &a, &b);
		a = b;
		b = c;
	}
	show("fib(300)", &a,
	     "222232244629420445529739893461909967206666939096499764990979600");

	if (overflowed) {
		failures++;
		fmt("LIMB OVERFLOW\n");
	}
	fmt("%s\n", failures ? "SOME BIGNUMS WRONG" : "all bignums ok");
	return failures;
}
