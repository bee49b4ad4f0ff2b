/**
 * A monitor's statistics on the wire (tsvmi.v1.MonitorStats), for the `info`
 * operation: what only the monitor knows — events by reason, the ring, refused
 * and applied replies, reply latency — next to the vCPUs' own counters.
 */
import type { MonitorStats } from '../generated/tsvmi/v1/control.js';
import type { Monitor } from './monitor.js';

const bigints = <K extends string>(m: ReadonlyMap<K, number>): Record<string, bigint> =>
  Object.fromEntries([...m].map(([k, n]) => [k, BigInt(n)]));

export function monitorStats(m: Monitor): MonitorStats {
  const c = m.counters, ring = m.ring, latency = c.replyLatency;
  return {
    eventsByReason: bigints(c.events),
    ringOccupancy: ring.occupancy,
    ringCapacity: ring.capacity,
    ringWaiting: ring.waitingCount,
    ringWaits: BigInt(ring.waits),
    refusedByCode: bigints(c.refused),
    repliesByAction: bigints(c.replies),
    defaulted: BigInt(c.defaulted),
    discarded: BigInt(c.discarded),
    released: BigInt(c.released),
    replyLatency: {
      boundsUs: latency.boundsUs.map(BigInt),
      cumulativeCounts: latency.cumulative().map(BigInt),
      count: BigInt(latency.count),
      sumUs: latency.sumUs,
    },
  };
}
