/**
 * `npm run bench:nats-floor`: the raw nats.js request/reply floor on a local
 * nats-server — the best a NATS transport for the monitor can do on this
 * machine, and what `bench:monitor` compares its NATS numbers against.
 *
 * One process holds both ends on two connections (as the monitor and its
 * controller would have): a responder that answers every request with a
 * tiny payload, and a requester that sends sequential requests, each after
 * the previous reply arrived. This measures round-trip latency, not
 * throughput under pipelining. The server is started exactly as the tests
 * start it (test/support/nats-server.ts), without authorization.
 * `host.otherLoadCores` says how busy the host was with other work meanwhile
 * (the floor roughly halves when another core's worth of work competes).
 * Prints JSON on stdout; progress on stderr.
 */
import { cpus } from 'node:os';
import { startNatsServer } from '../test/support/nats-server.js';
import { otherLoadMeter } from './host-load.js';
import { FLOOR_PAYLOAD, natsServerVersion, requestReplyFloor } from './request-reply-floor.js';

/** Enough for V8 to optimise the client's hot paths and for TCP to settle before timing. */
const WARMUP = 1_000;
const REQUESTS = 5_000;

const progress = (s: string): void => { process.stderr.write(`bench:nats-floor: ${s}\n`); };

async function main(): Promise<void> {
  const server = await startNatsServer();
  try {
    const otherLoad = otherLoadMeter([server.pid]);
    const floor = await requestReplyFloor(server.url, { warmup: WARMUP, requests: REQUESTS }, progress);
    console.log(JSON.stringify({
      benchmark: 'nats-floor',
      server: natsServerVersion(),
      client: '@nats-io/transport-node',
      host: { cpu: cpus()[0]?.model ?? 'unknown', cpus: cpus().length, node: process.version, otherLoadCores: otherLoad() },
      warmup: WARMUP,
      payloadBytes: FLOOR_PAYLOAD.length,
      ...floor,
    }, null, 2));
  } finally {
    await server.stop();
  }
}

await main();
