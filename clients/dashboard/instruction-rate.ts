/**
 * MIPS per vCPU from absolute retired-instruction counts: the growth over the
 * wall time between two samples. Prometheus scrapes every 15 s or so, so the
 * rate is an average over the scrape interval, as rate() would give. A sample
 * that follows the previous one too closely to measure anything on its own is
 * measured from the one before that instead, so the window always ends now and
 * is long enough that timer and round-trip jitter do not dominate it.
 */

/** The shortest window a rate is measured over (ms), once there are samples that far apart. */
export const MIN_WINDOW_MS = 100;

interface Sample { t: number; icount: number }

interface Samples {
  /** The newest sample a window may start at... */
  base: Sample;
  /** ...and the one before it (at least MIN_WINDOW_MS older), for a sample too close to base. */
  older?: Sample;
}

export class InstructionRate {
  private readonly samples = new Map<string, Samples>();

  /** Whether `key` has a sample to measure from (else the next sample only starts a window). */
  has(key: string): boolean {
    return this.samples.has(key);
  }

  /**
   * Record `icount` retired instructions at `t` (ms, monotonic) and return the rate in MIPS
   * over the window ending now, or undefined when there is no earlier sample to measure from.
   */
  sample(key: string, t: number, icount: number): number | undefined {
    const s = this.samples.get(key);
    // A count that went down is a new domain under the same name: start over.
    if (!s || icount < s.base.icount) {
      this.samples.set(key, { base: { t, icount } });
      return undefined;
    }
    const short = t - s.base.t < MIN_WINDOW_MS;
    const from = short && s.older ? s.older : s.base;
    if (t <= from.t) return undefined;
    if (!short) this.samples.set(key, { base: { t, icount }, older: s.base });
    return (icount - from.icount) / ((t - from.t) * 1_000); // instructions per ms / 1000 = millions per second
  }

  /** Forget keys not in `keep` (domains gone, or no longer watched). */
  retain(keep: (key: string) => boolean): void {
    for (const key of [...this.samples.keys()]) if (!keep(key)) this.samples.delete(key);
  }
}
