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
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '../test/support/nats-server.js';
import { otherLoadMeter } from './host-load.js';
import { latencySummary, microsBetween } from './stats.js';

const SUBJECT = 'tsvmi.v1.bench.control.echo';
/** Enough for V8 to optimise the client's hot paths and for TCP to settle before timing. */
const WARMUP = 1_000;
const REQUESTS = 5_000;
/** About the size of a small control request (a register read). */
const PAYLOAD = new Uint8Array(16).fill(0x5a);
const REQUEST_TIMEOUT_MS = 5_000;

const progress = (msg: string): void => { process.stderr.write(`bench:nats-floor: ${msg}\n`); };

async function main(): Promise<void> {
  const server = await startNatsServer();
  try {
    const responder = await connect({ servers: server.url, name: 'bench-responder' });
    const requester = await connect({ servers: server.url, name: 'bench-requester' });
    responder.subscribe(SUBJECT, { callback: (_err, m) => { m.respond(PAYLOAD); } });
    await responder.flush(); // the subscription must be on the server before the first request

    const once = async (): Promise<void> => {
      const reply = await requester.request(SUBJECT, PAYLOAD, { timeout: REQUEST_TIMEOUT_MS });
      if (reply.data.length !== PAYLOAD.length) throw new Error(`short reply: ${reply.data.length} bytes`);
    };
    progress(`warm-up: ${WARMUP} requests`);
    for (let i = 0; i < WARMUP; i++) await once();

    progress(`measuring: ${REQUESTS} sequential requests`);
    const otherLoad = otherLoadMeter([server.pid]);
    const latencies = new Array<number>(REQUESTS);
    const start = process.hrtime.bigint();
    for (let i = 0; i < REQUESTS; i++) {
      const t0 = process.hrtime.bigint();
      await once();
      latencies[i] = microsBetween(t0, process.hrtime.bigint());
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const otherLoadCores = otherLoad();

    await requester.close();
    await responder.close();
    console.log(JSON.stringify({
      benchmark: 'nats-floor',
      server: serverVersion(),
      client: '@nats-io/transport-node',
      host: { cpu: cpus()[0]?.model ?? 'unknown', cpus: cpus().length, node: process.version, otherLoadCores },
      requests: REQUESTS,
      warmup: WARMUP,
      payloadBytes: PAYLOAD.length,
      seconds: Number(seconds.toFixed(3)),
      requestsPerSecond: Math.round(REQUESTS / seconds),
      latencyUs: latencySummary(latencies),
    }, null, 2));
  } finally {
    await server.stop();
  }
}

function serverVersion(): string {
  return execFileSync('nats-server', ['--version'], { encoding: 'utf8' }).trim();
}

await main();
