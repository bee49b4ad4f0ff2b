/*
 * Bit-manipulation builtins checked against naive loops:
 * __builtin_ctz/clz/popcount/parity and their ll forms, bswap32/64,
 * plus rotates and a few classic bit tricks.
 *
 * On baseline x86-64 gcc emits bsf/bsr for ctz/clz, bswap for bswap,
 * setnp (the parity flag) for parity, and calls __popcountdi2
 * (lib/rt.c) for popcount.  Zero inputs are skipped for ctz/clz, whose
 * result is undefined for 0.
 */
#include <stdint.h>

#include "compiler.h"
#include "fmt.h"

static int naive_ctz64(uint64_t x)
{
	int n = 0;
	while (!(x & 1)) {
		x >>= 1;
		n++;
	}
	return n;
}

static int naive_clz64(uint64_t x)
{
	int n = 0;
	while (!(x & 0x8000000000000000ull)) {
		x <<= 1;
		n++;
	}
	return n;
}

static int naive_popcount64(uint64_t x)
{
	int n = 0;
	for (int i = 0; i < 64; i++)
		n += (int)(x >> i & 1);
	return n;
}

static uint64_t naive_bswap64(uint64_t x)
{
	uint64_t r = 0;
	for (int i = 0; i < 8; i++)
		r |= (x >> (8 * i) & 0xff) << (8 * (7 - i));
	return r;
}

static uint32_t rotl32(uint32_t x, unsigned n)
{
	return (x << (n & 31)) | (x >> (-n & 31)); /* gcc emits rol */
}

static uint64_t rotr64(uint64_t x, unsigned n)
{
	return (x >> (n & 63)) | (x << (-n & 63)); /* gcc emits ror */
}

static int failures;

static void expect(int ok, const char *what, uint64_t x)
{
	if (!ok) {
		failures++;
		fmt("  MISMATCH %s for %016lx\n", what, x);
	}
}

/* Check every builtin on x (and its low half), return a mixing hash. */
static uint64_t check_value(uint64_t x, int print)
{
	uint32_t lo = (uint32_t)x;
	int ctz = 0, clz = 0, ctzll = 0, clzll = 0;

	OPAQUE(x);
	OPAQUE(lo);

	if (lo) {
		ctz = __builtin_ctz(lo);
		clz = __builtin_clz(lo);
		expect(ctz == naive_ctz64(lo), "ctz", x);
		expect(clz == naive_clz64(lo) - 32, "clz", x);
	}
	if (x) {
		ctzll = __builtin_ctzll(x);
		clzll = __builtin_clzll(x);
		expect(ctzll == naive_ctz64(x), "ctzll", x);
		expect(clzll == naive_clz64(x), "clzll", x);
	}
	int pop = __builtin_popcount(lo);
	int popll = __builtin_popcountll(x);
	int par = __builtin_parity(lo);
	int parll = __builtin_parityll(x);
	uint32_t bs32 = __builtin_bswap32(lo);
	uint64_t bs64 = __builtin_bswap64(x);

	expect(pop == naive_popcount64(lo), "popcount", x);
	expect(popll == naive_popcount64(x), "popcountll", x);
	expect(par == (naive_popcount64(lo) & 1), "parity", x);
	expect(parll == (naive_popcount64(x) & 1), "parityll", x);
	expect(bs32 == (uint32_t)(naive_bswap64(lo) >> 32), "bswap32", x);
	expect(bs64 == naive_bswap64(x), "bswap64", x);

	if (print)
		fmt("%016lx ctz %2d clz %2d ctzll %2d clzll %2d pop %2d popll %2d "
		    "par %d parll %d bswap32 %08x bswap64 %016lx\n",
		    x, ctz, clz, ctzll, clzll, pop, popll, par, parll, bs32, bs64);

	return (uint64_t)ctz ^ (uint64_t)clz << 6 ^ (uint64_t)ctzll << 12 ^
	       (uint64_t)clzll << 18 ^ (uint64_t)pop << 24 ^
	       (uint64_t)popll << 30 ^ (uint64_t)par << 37 ^
	       (uint64_t)parll << 38 ^ bs64 ^ (uint64_t)bs32 << 7;
}

int main(void)
{
	static const uint64_t edges[] = {
		0, 1, 2, 3, 0x80, 0xff, 0x100, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000ull, 0x8000000000000000ull,
		0x7fffffffffffffffull, 0xffffffffffffffffull,
		0x0123456789abcdefull, 0xfedcba9876543210ull,
		0x5555555555555555ull, 0xaaaaaaaaaaaaaaaaull,
		0x0000000100000001ull, 0x8000000000000001ull,
	};
	uint64_t hash = 0, x = 0x2545f4914f6cdd1dull;

	fmt("bit builtins\n");
	for (size_t i = 0; i < ARRAY_SIZE(edges); i++)
		hash = hash * 0x100000001b3ull ^ check_value(edges[i], 1);

	/* Single bits and their neighbours. */
	for (int b = 0; b < 64; b++) {
		uint64_t v = 1ull << b;
		hash = hash * 0x100000001b3ull ^ check_value(v, b % 9 == 0);
		hash = hash * 0x100000001b3ull ^ check_value(v - 1, 0);
		hash = hash * 0x100000001b3ull ^ check_value(~v, 0);
	}

	/* Pseudo-random values (xorshift64), with varying density. */
	for (int i = 0; i < 3000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t v = x;
		if (i % 3 == 1)
			v &= x >> 11; /* sparser */
		else if (i % 3 == 2)
			v |= x << 9; /* denser */
		hash = hash * 0x100000001b3ull ^ check_value(v, i % 500 == 0);
	}
	fmt("builtin hash %016lx\n", hash);

	/* Rotates and classic tricks over a value sweep. */
	uint64_t acc = 0;
	for (unsigned i = 0; i < 200; i++) {
		uint64_t v = 0x0f1e2d3c4b5a6978ull * (i + 1);
		uint32_t w = (uint32_t)(v >> 17);
		OPAQUE(v);
		acc += rotl32(w, i) ^ rotr64(v, i);
		acc ^= v & -v;          /* lowest set bit */
		acc += v & (v - 1);     /* clear lowest set bit */
		acc ^= (uint64_t)(int64_t)(int32_t)w >> (i % 64); /* sign extend */
		acc += (uint64_t)((int64_t)v >> (i % 64));        /* arithmetic shift */
		acc = rotr64(acc, 5);
	}
	fmt("rotate/trick accumulator %016lx\n", acc);

	fmt("%s\n", failures ? "SOME BIT OPS WRONG" : "all bit ops ok");
	return failures;
}
