/*
 * The CPU benchmark's work, shared by bench.c and the hosted reference
 * (tools/bench_host.c), which computes the expected output at build time.
 * Integer only: xorshift64, 64-bit multiply, 64-bit division and a
 * bitwise CRC-32 step per iteration.
 */
#ifndef OS_BENCH_CORE_H
#define OS_BENCH_CORE_H

#include <stdint.h>

#define BENCH_ROUNDS 8
#ifndef BENCH_ITERS
#define BENCH_ITERS 40000 /* per round */
#endif

struct bench_state {
	uint64_t x, acc;
	uint32_t crc;
};

static inline void bench_init(struct bench_state *s)
{
	s->x = 0x9e3779b97f4a7c15ULL;
	s->acc = 0;
	s->crc = 0xffffffffu;
}

static inline void bench_round(struct bench_state *s, uint32_t iters)
{
	uint64_t x = s->x, acc = s->acc;
	uint32_t crc = s->crc;

	for (uint32_t i = 0; i < iters; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		acc += (x >> 32) * (i | 1);
		acc ^= acc >> 29;
		acc += x % (i + 7);
		crc ^= (uint8_t)x;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	s->x = x;
	s->acc = acc;
	s->crc = crc;
}

static inline uint64_t bench_checksum(const struct bench_state *s)
{
	return s->acc ^ ((uint64_t)~s->crc << 32) ^ s->x;
}

#endif
