/* Prints, sleeps 10 ticks, five times; checks that the sleep was long enough. */
#include "ulib.h"

#define TICKS 10
#define COUNT 5

int main(void)
{
	int short_sleeps = 0;

	for (int i = 1; i <= COUNT; i++) {
		long t0 = ticks();

		sleep_ticks(TICKS);
		long slept = ticks() - t0;
		if (slept < TICKS)
			short_sleeps++;
		printf("tick %d/%d: slept >= %d ticks: %s\n", i, COUNT, TICKS,
		       slept >= TICKS ? "yes" : "NO");
	}
	printf("done: %d short sleeps\n", short_sleeps);
	return short_sleeps;
}
