/* CPU benchmark: BENCH_ROUNDS rounds of integer work, a line per round, a
 * checksum at the end (equal to build/os/bench.expected). */
#include "ulib.h"
#include "bench_core.h"

int main(void)
{
	struct bench_state s;

	bench_init(&s);
	printf("start: %d rounds x %d iterations\n", BENCH_ROUNDS, BENCH_ITERS);
	for (int r = 1; r <= BENCH_ROUNDS; r++) {
		bench_round(&s, BENCH_ITERS);
		printf("round %d/%d acc=%016lx crc=%08x\n", r, BENCH_ROUNDS, s.acc, s.crc);
	}
	printf("done: checksum=%016lx\n", bench_checksum(&s));
	return 0;
}
