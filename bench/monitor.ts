/**
 * `npm run bench:monitor`: sync software-breakpoint events answered at once,
 * on the embedded transport and on NATS (a real nats-server), for 1 and 4
 * vCPUs, with the raw nats.js request/reply floor measured in the same run on
 * the same server. Prints JSON on stdout; progress on stderr.
 *
 * The guest (test/support/breakpoint-guest.ts) is every vCPU spinning on
 * `int3; jmp`. One round trip is the time between two consecutive events of
 * one vCPU: the exit, the event, the reply, applying it, and running the guest
 * to its next breakpoint — what "per breakpoint hit" means for Xen.
 */
import { cpus } from 'node:os';
import { connect } from '@nats-io/transport-node';
import { Action, MonitorReply } from '../src/generated/tsvmi/v1/reply.js';
import { Reason } from '../src/monitor/event.js';
import { Monitor } from '../src/monitor/monitor.js';
import { NatsMonitorBridge } from '../src/monitor/nats.js';
import { NatsLink } from '../src/monitor/nats-link.js';
import { subjects } from '../src/monitor/subjects.js';
import { breakpointDomain } from '../test/support/breakpoint-guest.js';
import { startNatsServer } from '../test/support/nats-server.js';
import { otherLoadMeter } from './host-load.js';
import { natsServerVersion, requestReplyFloor } from './request-reply-floor.js';
import { latencySummary } from './stats.js';

const EVENTS = { embedded: 50_000, nats: 5_000 };
const WARMUP_FRACTION = 0.1;
type ReplyAction = 'reinject' | 'drop';

const progress = (s: string): void => { process.stderr.write(`bench:monitor: ${s}\n`); };

/** Per-vCPU intervals between consecutive events, after a warm-up share of them. */
class Recorder {
  private readonly last = new Map<number, bigint>();
  readonly intervalsUs: number[] = [];
  count = 0;
  private start = 0n;
  private end = 0n;
  constructor(private readonly total: number) {}
  /** Record one event; true once `total` have been seen. */
  note(vcpu: number, at: bigint): boolean {
    this.count++;
    if (this.count === Math.floor(this.total * WARMUP_FRACTION)) this.start = at;
    const prev = this.last.get(vcpu);
    this.last.set(vcpu, at);
    if (prev !== undefined && this.start !== 0n) this.intervalsUs.push(Number(at - prev) / 1e3);
    if (this.count === this.total) this.end = at;
    return this.count >= this.total;
  }
  result(): { events: number; eventsPerSecond: number; roundTripUs: ReturnType<typeof latencySummary> } {
    const measured = this.total - Math.floor(this.total * WARMUP_FRACTION);
    return { events: measured, eventsPerSecond: Math.round(measured / (Number(this.end - this.start) / 1e9)), roundTripUs: latencySummary(this.intervalsUs) };
  }
}

async function embedded(vcpus: number, action: ReplyAction): Promise<ReturnType<Recorder['result']>> {
  const d = breakpointDomain(vcpus);
  const monitor = new Monitor(d);
  monitor.configure({ [Reason.SOFTWARE_BREAKPOINT]: { sync: true } });
  const rec = new Recorder(EVENTS.embedded);
  let finish!: () => void;
  const done = new Promise<void>((resolve) => { finish = resolve; });
  const controller = monitor.attach('controller', (e) => {
    if (rec.note(e.vcpu, process.hrtime.bigint())) finish();
    else controller.reply({ seq: e.seq, action });
  });
  void d.runForever(); // stays waiting on the unanswered last events; nothing holds the process open
  await done;
  return rec.result();
}

async function overNats(url: string, vcpus: number, action: ReplyAction): Promise<ReturnType<Recorder['result']>> {
  const d = breakpointDomain(vcpus);
  const monitor = new Monitor(d);
  monitor.configure({ [Reason.SOFTWARE_BREAKPOINT]: { sync: true } });
  const [service, client] = [await connect({ servers: url }), await connect({ servers: url })];
  const s = subjects(d.name);
  const rec = new Recorder(EVENTS.nats);
  let finish!: () => void;
  const done = new Promise<void>((resolve) => { finish = resolve; });
  const wireAction = action === 'drop' ? Action.ACTION_DROP : Action.ACTION_REINJECT;
  const bridge = new NatsMonitorBridge(monitor, service);
  await service.flush();
  // Attached as the controller; replies go out fire-and-forget (publish, no StatusReply
  // awaited), as a client that trusts its replies would send them: one message each way.
  const link = new NatsLink(client, d.name);
  const { session } = await link.control((e) => {
    if (rec.note(e.vcpu, process.hrtime.bigint())) { finish(); return; }
    client.publish(s.reply, MonitorReply.encode({ ...MonitorReply.fromPartial({ domain: d.name }), seq: e.seq, action: wireAction, session }).finish());
  });
  void d.runForever();
  await done;
  await bridge.close();
  await link.close();
  await client.close();
  await service.close();
  return rec.result();
}

async function main(): Promise<void> {
  const server = await startNatsServer();
  try {
    const otherLoad = otherLoadMeter([server.pid]);
    const runs: Record<string, unknown>[] = [];
    for (const action of ['reinject', 'drop'] as const) {
      for (const vcpus of [1, 4]) {
        progress(`embedded, ${vcpus} vCPU(s), ${action}: ${EVENTS.embedded} events`);
        runs.push({ transport: 'embedded', vcpus, action, ...(await embedded(vcpus, action)) });
        progress(`NATS, ${vcpus} vCPU(s), ${action}: ${EVENTS.nats} events`);
        runs.push({ transport: 'nats', vcpus, action, ...(await overNats(server.url, vcpus, action)) });
      }
    }
    const floor = await requestReplyFloor(server.url, { warmup: 500, requests: 3_000 }, progress);
    console.log(JSON.stringify({
      benchmark: 'monitor',
      server: natsServerVersion(),
      host: { cpu: cpus()[0]?.model ?? 'unknown', cpus: cpus().length, node: process.version, otherLoadCores: otherLoad() },
      runs,
      natsRequestReplyFloor: floor,
      reference: { xenBreakpointHitUs: [15, 81], source: 'issue 5 (Xen on real hardware)' },
    }, null, 2));
  } finally {
    await server.stop();
  }
}

await main();
