/**
 * The dashboard's sampler: every SAMPLE_MS it asks each domain for a view,
 * keeps the charts' recent history, and hands the snapshot to whoever
 * listens (the SSE connections). Sampling rather than forwarding is what
 * keeps the page alive under a flood of events: the page gets at most four
 * updates a second whatever the guest does, and each is a bounded size.
 */
import { DomainWatch } from './domain-watch.js';
import type { DomainDirectory } from './directory.js';
import { SAMPLE_MS, type ChartPoint, type DashboardSnapshot, type HistoryMessage } from './snapshot.js';

/** Chart points kept per domain: two minutes. */
const HISTORY_POINTS = (120 * 1000) / SAMPLE_MS;

export type SnapshotListener = (s: DashboardSnapshot) => void;

export class DashboardHub {
  readonly watches: ReadonlyMap<string, DomainWatch>;
  private readonly points = new Map<string, ChartPoint[]>();
  private readonly listeners = new Set<SnapshotListener>();
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;
  private tick = 0;
  latest: DashboardSnapshot | undefined;

  constructor(private readonly directory: DomainDirectory, controller: boolean) {
    this.watches = new Map(directory.names().map((n) => [n, new DomainWatch(n, directory, controller)]));
  }

  /** Take the first sample (attaching the sessions), then one every SAMPLE_MS. */
  async start(): Promise<void> {
    await this.sample();
    this.timer = setInterval(() => void this.sample(), SAMPLE_MS);
    this.timer.unref(); // the HTTP server keeps the process alive, not the sampler
  }

  /** One sample; a tick that comes while the last one still waits for a slow domain is skipped. */
  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const now = Date.now();
      const domains = await Promise.all([...this.watches.values()].map((w) => w.sample(now)));
      for (const d of domains) {
        const list = this.points.get(d.name) ?? [];
        list.push(d.point);
        if (list.length > HISTORY_POINTS) list.shift();
        this.points.set(d.name, list);
      }
      const nats = this.directory.nats();
      this.latest = { at: now, tick: ++this.tick, nats: nats ?? null, domains };
      for (const l of this.listeners) l(this.latest);
    } finally {
      this.sampling = false;
    }
  }

  history(): HistoryMessage {
    return { domains: Object.fromEntries(this.points) };
  }

  listen(l: SnapshotListener): () => void {
    this.listeners.add(l);
    return () => { this.listeners.delete(l); };
  }

  /** The sessions with each domain, for /metrics (those attached). */
  *sessions(): Iterable<{ name: string; vmi: NonNullable<DomainWatch['vmi']> }> {
    for (const [name, w] of this.watches) if (w.vmi) yield { name, vmi: w.vmi };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.listeners.clear();
    await Promise.all([...this.watches.values()].map((w) => w.close()));
  }
}
