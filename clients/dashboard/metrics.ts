/**
 * The dashboard's Prometheus metrics (`GET /metrics`): a prom-client registry
 * fed by each watched domain's `vmi.status()` (the `info` operation: the
 * vCPUs' counters and the monitor's event, ring and reply statistics). Every
 * scrape polls the domains afresh, once, and every metric's collect() reads
 * that one poll, so all series of a scrape describe the same moment. A domain
 * that does not answer (gone, unknown, its link closed) is `tsvmi_domain_up 0`
 * and nothing else; the scrape goes on.
 *
 * The domains keep the counts (they count from the monitor's creation); the
 * registry only copies them. Counters are prom-client Counters whose collect()
 * resets them and adds the absolute value: Counter has no set(), but reset()
 * then inc(value) is public API and leaves the series typed `counter`, which is
 * what rate() and Grafana expect — a Gauge would print the same number typed
 * `gauge` and lose that. reset() also drops the series of domains no longer
 * watched. A domain restarted under the same name counts from zero again,
 * which Prometheus's rate() takes as the counter reset it is.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { DomainInfoReply } from '../../src/generated/tsvmi/v1/control.js';
import type { Vmi } from '../../src/introspect/vmi.js';
import { AbsoluteHistogram, type HistogramSample } from './absolute-histogram.js';
import { InstructionRate } from './instruction-rate.js';
import { DOMAIN_STATES, VCPU_STATES } from './state-names.js';

export interface MetricsOptions {
  /** The dashboard's NATS connection state, for `tsvmi_nats_connected` (undefined counts as not connected). */
  natsConnected?: () => boolean | undefined;
}

export interface Metrics {
  /** The Content-Type of what render() returns (Prometheus text format 0.0.4). */
  contentType: string;
  /** Poll every domain and render all metrics in Prometheus text format. */
  render(): Promise<string>;
}

/** Give up on a domain's status after this long, so one stuck domain cannot stall the scrape (Prometheus's default timeout is 10 s). */
export const STATUS_TIMEOUT_MS = 4_000;

/** On a vCPU's first scrape, sample twice this far apart so that MIPS has a value at once. */
export const FIRST_WINDOW_MS = 250;


/** One domain as one scrape saw it: its status, or none when it did not answer. */
interface Polled {
  name: string;
  info: DomainInfoReply | undefined;
  /** MIPS by vCPU, where there is a rate yet. */
  mips: Map<number, number>;
}

type Labels = Record<string, string>;
type Series = Iterable<readonly [Labels, number]>;

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The domain's status, or undefined if it fails or takes too long. */
async function statusOf(vmi: Vmi): Promise<DomainInfoReply | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), STATUS_TIMEOUT_MS); });
  try {
    return await Promise.race([vmi.status(), timeout]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** Each polled domain's status with its labels. */
function* answered(polled: readonly Polled[]): Generator<readonly [Labels, DomainInfoReply]> {
  for (const p of polled) if (p.info) yield [{ domain: p.name }, p.info];
}

/** Each answering domain's vCPUs with their labels. */
function* vcpus(polled: readonly Polled[]): Generator<readonly [Labels, DomainInfoReply['vcpuStats'][number], Polled]> {
  for (const p of polled) for (const v of p.info?.vcpuStats ?? []) yield [{ domain: p.name, vcpu: String(v.vcpu) }, v, p];
}

/** A map<string, uint64> of the wire as one series per key. */
function* byKey(labels: Labels, key: string, counts: Record<string, bigint>): Generator<readonly [Labels, number]> {
  for (const [k, n] of Object.entries(counts)) yield [{ ...labels, [key]: k }, Number(n)];
}

export function createMetrics(domains: () => Iterable<{ name: string; vmi: Vmi }>, opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const rates = new InstructionRate();
  let current: Promise<Polled[]> = Promise.resolve([]);
  const scrape = (): Promise<Polled[]> => current;

  async function pollOne(name: string, vmi: Vmi): Promise<Polled> {
    let info = await statusOf(vmi);
    const key = (v: number): string => `${name}\u0000${v}`;
    if (info && info.vcpuStats.some((v) => !rates.has(key(v.vcpu)))) {
      // First sight of these vCPUs: open a window now and measure it, rather than leave MIPS out of this scrape.
      for (const v of info.vcpuStats) rates.sample(key(v.vcpu), performance.now(), Number(v.retiredInstructions));
      await delay(FIRST_WINDOW_MS);
      info = await statusOf(vmi);
    }
    const mips = new Map<number, number>();
    for (const v of info?.vcpuStats ?? []) {
      const r = rates.sample(key(v.vcpu), performance.now(), Number(v.retiredInstructions));
      if (r !== undefined) mips.set(v.vcpu, r);
    }
    return { name, info, mips };
  }

  async function poll(): Promise<Polled[]> {
    const list = [...domains()];
    const polled = await Promise.all(list.map(({ name, vmi }) => pollOne(name, vmi)));
    const watched = new Set(list.map((d) => d.name));
    rates.retain((k) => watched.has(k.split('\u0000')[0]!));
    return polled;
  }

  const counter = (name: string, help: string, labelNames: readonly string[], read: (p: Polled[]) => Series): void => {
    new Counter({
      name, help, labelNames, registers: [registry],
      async collect() {
        const polled = await scrape();
        this.reset();
        for (const [labels, value] of read(polled)) this.inc(labels, value);
      },
    });
  };
  const gauge = (name: string, help: string, labelNames: readonly string[], read: (p: Polled[]) => Series): void => {
    new Gauge({
      name, help, labelNames, registers: [registry],
      async collect() {
        const polled = await scrape();
        this.reset();
        for (const [labels, value] of read(polled)) this.set(labels, value);
      },
    });
  };

  // ---- domains ---------------------------------------------------------------------------------
  gauge('tsvmi_domain_up', 'Whether the domain answered this scrape\'s status request (1) or not (0: gone, unknown, link closed).', ['domain'],
    (p) => p.map((d) => [{ domain: d.name }, d.info ? 1 : 0] as const));
  gauge('tsvmi_domain_state', 'The domain\'s state: 1 for the state it is in, 0 for the others.', ['domain', 'state'], function* (p) {
    for (const [labels, info] of answered(p)) for (const [s, state] of DOMAIN_STATES) yield [{ ...labels, state }, info.state === s ? 1 : 0];
  });
  gauge('tsvmi_domain_vcpus', 'The domain\'s vCPUs.', ['domain'], function* (p) {
    for (const [labels, info] of answered(p)) yield [labels, info.vcpus];
  });
  gauge('tsvmi_domain_memory_bytes', 'The domain\'s guest RAM.', ['domain'], function* (p) {
    for (const [labels, info] of answered(p)) yield [labels, Number(info.memoryBytes)];
  });

  // ---- the monitor: events, ring, replies --------------------------------------------------------
  const monitor = function* (p: Polled[]): Generator<readonly [Labels, NonNullable<DomainInfoReply['monitor']>]> {
    for (const [labels, info] of answered(p)) if (info.monitor) yield [labels, info.monitor];
  };
  counter('tsvmi_events_total', 'Monitor events raised, by reason.', ['domain', 'reason'], function* (p) {
    for (const [labels, m] of monitor(p)) yield* byKey(labels, 'reason', m.eventsByReason);
  });
  gauge('tsvmi_ring_occupancy', 'Ring slots in use: sync events queued for the controller or waiting for its reply.', ['domain'], function* (p) {
    for (const [labels, m] of monitor(p)) yield [labels, m.ringOccupancy];
  });
  gauge('tsvmi_ring_capacity', 'Ring slots.', ['domain'], function* (p) {
    for (const [labels, m] of monitor(p)) yield [labels, m.ringCapacity];
  });
  gauge('tsvmi_ring_waiting', 'Events held now, their vCPUs paused, until a ring slot frees.', ['domain'], function* (p) {
    for (const [labels, m] of monitor(p)) yield [labels, m.ringWaiting];
  });
  counter('tsvmi_ring_waits_total', 'Times an event found the ring full and waited for a slot.', ['domain'], function* (p) {
    for (const [labels, m] of monitor(p)) yield [labels, Number(m.ringWaits)];
  });
  counter('tsvmi_replies_total', 'Controller replies applied, by action (drop, reinject).', ['domain', 'action'], function* (p) {
    for (const [labels, m] of monitor(p)) yield* byKey(labels, 'action', m.repliesByAction);
  });
  counter('tsvmi_replies_refused_total', 'Replies refused, by the monitor\'s error code.', ['domain', 'code'], function* (p) {
    for (const [labels, m] of monitor(p)) yield* byKey(labels, 'code', m.refusedByCode);
  });
  counter('tsvmi_events_defaulted_total', 'Sync events answered with the default action because no controller attached in time.', ['domain'], function* (p) {
    for (const [labels, m] of monitor(p)) yield [labels, Number(m.defaulted)];
  });
  counter('tsvmi_events_discarded_total', 'Breakpoint events dropped before delivery because their breakpoint was removed.', ['domain'], function* (p) {
    for (const [labels, m] of monitor(p)) yield [labels, Number(m.discarded)];
  });
  counter('tsvmi_events_released_total', 'Sync events let go unanswered because their reason was disabled while they waited.', ['domain'], function* (p) {
    for (const [labels, m] of monitor(p)) yield [labels, Number(m.released)];
  });
  registry.registerMetric(new AbsoluteHistogram(
    'tsvmi_reply_latency_seconds', 'From handing a sync event to the controller to applying its reply.',
    async () => {
      const out: HistogramSample[] = [];
      for (const [labels, m] of monitor(await scrape())) {
        const h = m.replyLatency;
        if (!h) continue;
        out.push({
          labels, bounds: h.boundsUs.map((us) => Number(us) / 1e6), cumulative: h.cumulativeCounts.map(Number),
          count: Number(h.count), sum: h.sumUs / 1e6,
        });
      }
      return out;
    },
  ).asMetric());

  // ---- vCPUs -----------------------------------------------------------------------------------
  gauge('tsvmi_vcpu_state', 'The vCPU\'s state: 1 for the state it is in, 0 for the others.', ['domain', 'vcpu', 'state'], function* (p) {
    for (const [labels, v] of vcpus(p)) for (const [s, state] of VCPU_STATES) yield [{ ...labels, state }, v.state === s ? 1 : 0];
  });
  counter('tsvmi_vcpu_retired_instructions_total', 'Instructions the vCPU retired (its guest time).', ['domain', 'vcpu'], function* (p) {
    for (const [labels, v] of vcpus(p)) yield [labels, Number(v.retiredInstructions)];
  });
  gauge('tsvmi_vcpu_mips', 'Millions of instructions the vCPU retired per second of wall time, over the interval since the previous scrape.', ['domain', 'vcpu'], function* (p) {
    for (const [labels, v, d] of vcpus(p)) {
      const mips = d.mips.get(v.vcpu);
      if (mips !== undefined) yield [labels, mips];
    }
  });
  counter('tsvmi_vcpu_exits_total', 'VM exits, by exit reason.', ['domain', 'vcpu', 'reason'], function* (p) {
    for (const [labels, v] of vcpus(p)) yield* byKey(labels, 'reason', v.exitsByReason);
  });
  counter('tsvmi_vcpu_events_total', 'Monitor events the vCPU raised.', ['domain', 'vcpu'], function* (p) {
    for (const [labels, v] of vcpus(p)) yield [labels, Number(v.events)];
  });
  counter('tsvmi_vcpu_injected_total', 'Events injected into the vCPU at VM entry.', ['domain', 'vcpu'], function* (p) {
    for (const [labels, v] of vcpus(p)) yield [labels, Number(v.injected)];
  });

  // ---- transport -------------------------------------------------------------------------------
  const nats = opts.natsConnected;
  if (nats) {
    new Gauge({
      name: 'tsvmi_nats_connected', help: 'Whether the dashboard\'s NATS connection is up (1) or not (0).', registers: [registry],
      collect() { this.set(nats() === true ? 1 : 0); },
    });
  }

  // Scrapes one at a time: each polls once and its collect() callbacks read that poll, so
  // two overlapping scrapes could otherwise mix their series (and halve the MIPS windows).
  let queue: Promise<unknown> = Promise.resolve();
  return {
    contentType: registry.contentType,
    render() {
      const rendered = queue.then(() => {
        current = poll();
        return registry.metrics();
      });
      queue = rendered.catch(() => {});
      return rendered;
    },
  };
}
