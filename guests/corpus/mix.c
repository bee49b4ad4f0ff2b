/*
 * Benchmark workload: a loop over small integer kernels (CRC, SHA-256
 * compression, sorting through a comparator pointer, multi-limb multiply,
 * switch-dispatched bytecode, division, bit builtins), so that the
 * instruction mix resembles ordinary systems code rather than one hot loop.
 *
 * MIX_ITERS sets the amount of work at compile time, e.g.
 * `make -C guests MIX_ITERS=40000`.  Cost is linear: about 35k guest
 * instructions per iteration at -O2 (80k at -O0), so the default of 10000
 * is ~350M instructions, ~0.05 s natively.  Output is one checksum per
 * kernel, identical at every optimisation level.
 */
#include <stdint.h>

#include "compiler.h"
#include "fmt.h"
#include "mem.h"
#include "sha256_compress.h"

#ifndef MIX_ITERS
#define MIX_ITERS 10000
#endif

static uint64_t rng_state = 0x853c49e6748fea9bull;

static uint32_t rand32(void)
{
	/* xorshift64*: cheap, full-period, good enough for test data. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* ---- CRC-32, byte table ---- */

static uint32_t crc_table[256];

static void crc_setup(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t r = i;
		for (int k = 0; k < 8; k++)
			r = (r >> 1) ^ (0xedb88320u & -(r & 1));
		crc_table[i] = r;
	}
}

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--)
		crc = (crc >> 8) ^ crc_table[(crc ^ *p++) & 0xff];
	return ~crc;
}

/* ---- sorting through a comparator pointer ---- */

typedef int (*cmp_fn)(const void *, const void *);

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int cmp_u32_low_bits(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a & 0xfff, y = *(const uint32_t *)b & 0xfff;
	return (x > y) - (x < y);
}

static NOINLINE void shell_sort(uint32_t *a, size_t n, cmp_fn cmp)
{
	static const size_t gaps[] = { 23, 10, 4, 1 };

	for (size_t g = 0; g < ARRAY_SIZE(gaps); g++) {
		size_t gap = gaps[g];
		for (size_t i = gap; i < n; i++) {
			uint32_t v = a[i];
			size_t j = i;
			while (j >= gap && cmp(&a[j - gap], &v) > 0) {
				a[j] = a[j - gap];
				j -= gap;
			}
			a[j] = v;
		}
	}
}

/* ---- 256x256-bit multiply, 32-bit limbs ---- */

static void mul256(uint32_t r[16], const uint32_t a[8], const uint32_t b[8])
{
	memset(r, 0, 16 * sizeof(uint32_t));
	for (int i = 0; i < 8; i++) {
		uint64_t carry = 0;
		for (int j = 0; j < 8; j++) {
			uint64_t t = (uint64_t)a[i] * b[j] + r[i + j] + carry;
			r[i + j] = (uint32_t)t;
			carry = t >> 32;
		}
		r[i + 8] = (uint32_t)carry;
	}
}

/* ---- switch-dispatched accumulator machine ---- */

static NOINLINE uint64_t interpret(const uint8_t *code, size_t n, uint64_t acc)
{
	uint64_t reg = 0x9e3779b97f4a7c15ull;

	for (size_t pc = 0; pc < n; pc++) {
		uint8_t op = code[pc];
		switch (op & 15) {
		case 0:  acc += reg; break;
		case 1:  acc -= op; break;
		case 2:  acc ^= acc >> 13; break;
		case 3:  acc *= 0x100000001b3ull; break;
		case 4:  reg = reg << 1 | reg >> 63; break;
		case 5:  acc = acc + (acc << 3); break;
		case 6:  reg ^= acc; break;
		case 7:  acc = ~acc; break;
		case 8:  acc += (uint64_t)(op >> 4) * 0x01010101ull; break;
		case 9:  acc = acc >> 7 | acc << 57; break;
		case 10: acc /= (reg | 1) >> 40 | 3; break;
		case 11: reg += acc & 0xffff; break;
		case 12: acc = (int64_t)acc < 0 ? acc << 1 : acc >> 1; break;
		case 13: acc ^= reg * 3; break;
		case 14: reg = reg - (reg >> 9); break;
		default: acc += pc; break;
		}
	}
	return acc ^ reg;
}

/* ---- division and bit builtins ---- */

static uint64_t divide_mix(const uint32_t *v, size_t n)
{
	uint64_t acc = 0;

	for (size_t i = 0; i + 1 < n; i++) {
		uint64_t a = (uint64_t)v[i] << 21 | v[i + 1];
		uint32_t d = (v[i + 1] >> (i & 15)) | 1;
		int64_t sa = (int64_t)(a ^ (uint64_t)i << 60);
		int32_t sd = (int32_t)(v[i] | 1) >> 3;
		if (sd == 0 || sd == -1)
			sd = 5;
		acc += a / d + a % d;
		acc ^= (uint64_t)(sa / sd) + (uint64_t)(sa % sd);
		acc += v[i] / 10 + v[i] % 1000;
	}
	return acc;
}

static uint64_t bits_mix(const uint32_t *v, size_t n)
{
	uint64_t acc = 0;

	for (size_t i = 0; i + 1 < n; i++) {
		uint64_t x = (uint64_t)v[i] << 32 | v[i + 1];
		if (x == 0)
			continue;
		acc += (uint64_t)__builtin_ctzll(x) + (uint64_t)__builtin_clzll(x);
		acc += (uint64_t)__builtin_popcountll(x) << 8;
		acc ^= __builtin_bswap64(x) >> (i & 31);
		acc += (uint64_t)__builtin_parity(v[i]) << 3;
	}
	return acc;
}

int main(void)
{
	uint32_t data[64];
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	uint32_t product[16];
	uint8_t code[96];
	uint32_t crc = 0;
	uint64_t sort_sum = 0, mul_sum = 0, vm_acc = 1, div_sum = 0, bit_sum = 0;

	fmt("mix: %ld iterations\n", (long)MIX_ITERS);
	crc_setup();

	for (long it = 0; it < MIX_ITERS; it++) {
		for (size_t i = 0; i < ARRAY_SIZE(data); i++)
			data[i] = rand32();

		crc = crc32(crc, (const uint8_t *)data, sizeof(data));
		sha256_compress_words(h, data);
		sha256_compress_words(h, data + 16);

		mul256(product, data, data + 8);
		for (int i = 0; i < 16; i++)
			mul_sum = mul_sum * 31 + product[i];

		for (size_t i = 0; i < sizeof(code); i++)
			code[i] = ((const uint8_t *)data)[i] ^ (uint8_t)it;
		vm_acc = interpret(code, sizeof(code), vm_acc);

		div_sum += divide_mix(data, ARRAY_SIZE(data));
		bit_sum += bits_mix(data, ARRAY_SIZE(data));

		/* Sorting last: it reorders data. */
		shell_sort(data, ARRAY_SIZE(data), it & 1 ? cmp_u32 : cmp_u32_low_bits);
		for (size_t i = 0; i < ARRAY_SIZE(data); i += 7)
			sort_sum = sort_sum * 17 + data[i];
	}

	fmt("crc32   %08x\n", crc);
	fmt("sha256  %08x%08x%08x%08x%08x%08x%08x%08x\n", h[0], h[1], h[2], h[3],
	    h[4], h[5], h[6], h[7]);
	fmt("mul256  %016lx\n", mul_sum);
	fmt("vm      %016lx\n", vm_acc);
	fmt("div     %016lx\n", div_sum);
	fmt("bits    %016lx\n", bit_sum);
	fmt("sort    %016lx\n", sort_sum);
	return 0;
}
