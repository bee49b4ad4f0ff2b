/**
 * Live reply-latency quantiles from the monitor's cumulative histogram
 * (DomainInfoReply.monitor.replyLatency, counted since the monitor started):
 * the difference between now and a few seconds ago is the histogram of the
 * replies applied in between, and its quantiles are estimated the way
 * Prometheus's histogram_quantile() does — linearly inside the bucket the
 * rank falls in — so the dashboard and a Grafana panel on /metrics agree.
 */
import type { LatencyHistogram } from '../../src/generated/tsvmi/v1/control.js';

/** How far back the quantiles look: long enough to hold a few replies of a slow debugger, short enough to be "now". */
export const LATENCY_WINDOW_MS = 5_000;

interface Sample { at: number; cumulative: number[]; count: number }

export class LatencyWindow {
  private readonly samples: Sample[] = [];
  private bounds: number[] = [];

  constructor(private readonly windowMs = LATENCY_WINDOW_MS) {}

  /** Record the histogram as it is at `at` (ms); an absent histogram (an older monitor) records nothing. */
  push(at: number, h: LatencyHistogram | undefined): void {
    if (!h || h.boundsUs.length === 0) return;
    const bounds = h.boundsUs.map(Number);
    if (bounds.join() !== this.bounds.join()) { this.bounds = bounds; this.samples.length = 0; } // a new monitor, or new buckets
    this.samples.push({ at, cumulative: h.cumulativeCounts.map(Number), count: Number(h.count) });
    while (this.samples.length > 2 && this.samples[1]!.at <= at - this.windowMs) this.samples.shift();
  }

  /** The q-quantile (0 < q < 1) of the replies in the window, in µs; null when there were none. */
  quantile(q: number): number | null {
    const first = this.samples[0], last = this.samples[this.samples.length - 1];
    if (!first || !last || first === last) return null;
    const total = last.count - first.count;
    if (total <= 0) return null;
    const rank = q * total;
    let below = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      const upTo = (last.cumulative[i] ?? 0) - (first.cumulative[i] ?? 0);
      if (upTo >= rank) {
        const lower = i === 0 ? 0 : this.bounds[i - 1]!, upper = this.bounds[i]!;
        return upTo === below ? upper : lower + ((upper - lower) * (rank - below)) / (upTo - below);
      }
      below = upTo;
    }
    // In the +Inf bucket: like histogram_quantile, the highest finite bound is the best estimate there is.
    return this.bounds[this.bounds.length - 1] ?? null;
  }
}
