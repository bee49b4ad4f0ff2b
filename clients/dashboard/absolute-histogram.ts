/**
 * A Prometheus histogram whose buckets someone else counts. prom-client's
 * Histogram only counts observations it is given one by one (observe()); the
 * monitor already keeps the buckets (tsvmi.v1.LatencyHistogram), and replaying
 * millions of observations on every scrape would be absurd. So this is a
 * metric of prom-client's own shape — what Registry reads from a metric:
 * name, help, type and get() — that hands the monitor's cumulative counts
 * over as `_bucket`, `_sum` and `_count` series.
 */
import type { Metric } from 'prom-client';

/** One labelled histogram: cumulative counts per upper bound, plus sum and count. */
export interface HistogramSample {
  labels: Record<string, string>;
  /** Upper bounds ascending, in the metric's unit. */
  bounds: readonly number[];
  /** Observations of at most each bound (same length as bounds). */
  cumulative: readonly number[];
  /** All observations: the +Inf bucket. */
  count: number;
  sum: number;
}

interface SeriesValue { metricName: string; labels: Record<string, string | number>; value: number }

export class AbsoluteHistogram {
  readonly type = 'histogram';
  /** How prom-client's cluster aggregator would merge workers' values (as its own Histogram does). */
  readonly aggregator = 'sum';

  constructor(readonly name: string, readonly help: string, private readonly read: () => Promise<Iterable<HistogramSample>>) {}

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: SeriesValue[] }> {
    const values: SeriesValue[] = [];
    for (const h of await this.read()) {
      h.bounds.forEach((le, i) => values.push({ metricName: `${this.name}_bucket`, labels: { ...h.labels, le }, value: h.cumulative[i]! }));
      values.push({ metricName: `${this.name}_bucket`, labels: { ...h.labels, le: '+Inf' }, value: h.count });
      values.push({ metricName: `${this.name}_sum`, labels: h.labels, value: h.sum });
      values.push({ metricName: `${this.name}_count`, labels: h.labels, value: h.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Registry.resetMetrics() calls this; the counts are the monitor's, so there is nothing to reset here. */
  reset(): void {}

  /**
   * As the registry's Metric type: Registry.registerMetric's declared type lists prom-client's
   * four classes, while at run time it takes any object of their shape, which this is.
   */
  asMetric(): Metric {
    return this as unknown as Metric;
  }
}
