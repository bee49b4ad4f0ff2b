/**
 * The raw nats.js request/reply floor: sequential request() round trips
 * between two connections of one process (as the monitor and its controller
 * would be), each after the previous reply arrived. Latency, not pipelined
 * throughput. Used by bench:nats-floor and, in the same run, bench:monitor.
 */
import { execFileSync } from 'node:child_process';
import { connect } from '@nats-io/transport-node';
import { latencySummary, microsBetween, type LatencySummary } from './stats.js';

const SUBJECT = 'tsvmi.v1.bench.control.echo';
/** About the size of a small control request (a register read). */
export const FLOOR_PAYLOAD = new Uint8Array(16).fill(0x5a);
const REQUEST_TIMEOUT_MS = 5_000;

export interface FloorResult { requests: number; seconds: number; requestsPerSecond: number; latencyUs: LatencySummary }

export async function requestReplyFloor(url: string, opts: { warmup: number; requests: number }, progress: (s: string) => void = () => {}): Promise<FloorResult> {
  const responder = await connect({ servers: url, name: 'bench-responder' });
  const requester = await connect({ servers: url, name: 'bench-requester' });
  try {
    responder.subscribe(SUBJECT, { callback: (_err, m) => { m.respond(FLOOR_PAYLOAD); } });
    await responder.flush(); // the subscription must be on the server before the first request
    const once = async (): Promise<void> => {
      const reply = await requester.request(SUBJECT, FLOOR_PAYLOAD, { timeout: REQUEST_TIMEOUT_MS });
      if (reply.data.length !== FLOOR_PAYLOAD.length) throw new Error(`short reply: ${reply.data.length} bytes`);
    };
    progress(`floor warm-up: ${opts.warmup} requests`);
    for (let i = 0; i < opts.warmup; i++) await once();
    progress(`floor: ${opts.requests} sequential requests`);
    const latencies = new Array<number>(opts.requests);
    const start = process.hrtime.bigint();
    for (let i = 0; i < opts.requests; i++) {
      const t0 = process.hrtime.bigint();
      await once();
      latencies[i] = microsBetween(t0, process.hrtime.bigint());
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { requests: opts.requests, seconds: Number(seconds.toFixed(3)), requestsPerSecond: Math.round(opts.requests / seconds), latencyUs: latencySummary(latencies) };
  } finally {
    await requester.close();
    await responder.close();
  }
}

export function natsServerVersion(): string {
  return execFileSync('nats-server', ['--version'], { encoding: 'utf8' }).trim();
}
