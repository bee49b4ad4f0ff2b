/**
 * A histogram of durations kept the way Prometheus keeps one (fixed bucket
 * bounds, a count per bucket, the sum and count of all observations), so that
 * a client can rebuild a Prometheus histogram from the monitor's numbers
 * without ever seeing the observations themselves.
 */

/**
 * Bucket bounds for reply latency, in microseconds: from an in-process controller
 * answering from a microtask (tens of µs) through NATS round trips (about a millisecond)
 * to a person at a debugger (seconds), about 2.5x apart so histogram_quantile stays
 * within a bucket's width of the truth.
 */
export const REPLY_LATENCY_BOUNDS_US: readonly number[] = [
  10, 25, 50, 100, 250, 500,
  1_000, 2_500, 5_000, 10_000, 25_000, 50_000,
  100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000,
];

export class LatencyHistogram {
  /** Observations per bucket (not cumulative); one more than bounds, for +Inf. */
  private readonly buckets: number[];
  count = 0;
  sumUs = 0;

  constructor(readonly boundsUs: readonly number[] = REPLY_LATENCY_BOUNDS_US) {
    if (boundsUs.some((b, i) => !(b > 0) || (i > 0 && b <= boundsUs[i - 1]!))) throw new RangeError(`bucket bounds must be positive and ascending, got ${boundsUs.join(', ')}`);
    this.buckets = new Array<number>(boundsUs.length + 1).fill(0);
  }

  observe(us: number): void {
    const i = this.boundsUs.findIndex((b) => us <= b); // Prometheus buckets are `le`: a bound includes itself
    this.buckets[i < 0 ? this.boundsUs.length : i]!++;
    this.count++;
    this.sumUs += us;
  }

  /** Observations of at most each bound, in the order of the bounds (without +Inf, which is `count`). */
  cumulative(): number[] {
    let running = 0;
    return this.boundsUs.map((_, i) => (running += this.buckets[i]!));
  }
}
