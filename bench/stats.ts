/**
 * Summary statistics for benchmark samples. Percentiles use the nearest-rank
 * method (always an observed sample, never an interpolation), which is what
 * latency tables usually mean by p50/p99.
 */

/** The p-th percentile (0 < p ≤ 100) of samples sorted ascending, by nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no samples');
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside (0, 100]`);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
}

/** The median, averaging the two middle samples of an even count (unlike percentile(50)). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of no samples');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface LatencySummary { min: number; p50: number; p90: number; p99: number; max: number; mean: number }

/** Distribution of latencies, in the unit of the samples, rounded to `digits` decimals. */
export function latencySummary(samples: readonly number[], digits = 1): LatencySummary {
  const s = [...samples].sort((a, b) => a - b);
  const round = (x: number): number => Number(x.toFixed(digits));
  return {
    min: round(s[0]!),
    p50: round(percentile(s, 50)),
    p90: round(percentile(s, 90)),
    p99: round(percentile(s, 99)),
    max: round(s[s.length - 1]!),
    mean: round(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

/** Microseconds between two `process.hrtime.bigint()` readings. */
export const microsBetween = (start: bigint, end: bigint): number => Number(end - start) / 1e3;
