/* Hosted reference for the bench process: prints exactly its output lines
 * (without the "[pid:bench] " prefix the kernel adds). */
#include <stdio.h>

#include "../user/bench_core.h"

int main(void)
{
	struct bench_state s;

	bench_init(&s);
	printf("start: %d rounds x %d iterations\n", BENCH_ROUNDS, BENCH_ITERS);
	for (int r = 1; r <= BENCH_ROUNDS; r++) {
		bench_round(&s, BENCH_ITERS);
		printf("round %d/%d acc=%016lx crc=%08x\n", r, BENCH_ROUNDS, (unsigned long)s.acc, s.crc);
	}
	printf("done: checksum=%016lx\n", (unsigned long)bench_checksum(&s));
	return 0;
}
