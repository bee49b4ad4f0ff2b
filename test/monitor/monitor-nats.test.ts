/**
 * The monitor on NATS, against a real nats-server and the running demo OS:
 * the xen-access loop with a client that sees only protobuf bytes (events
 * decoded with the generated code, replies sent with request() and their
 * StatusReply checked), an observer connection that gets every event, and
 * refused replies (malformed, unknown event, wrong domain) answered with typed
 * errors that change nothing.
 */
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { StatusReply } from '../../src/generated/tsvmi/v1/control.js';
import { ErrorCode } from '../../src/generated/tsvmi/v1/error.js';
import { MonitorEvent } from '../../src/generated/tsvmi/v1/event.js';
import { Action, MonitorReply } from '../../src/generated/tsvmi/v1/reply.js';
import { Reason } from '../../src/monitor/event.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { NatsMonitorBridge } from '../../src/monitor/nats.js';
import { subjects } from '../../src/monitor/subjects.js';
import { join } from 'node:path';
import { boot, checkOs, OS, xenAccessSetup } from '../support/demo-os.js';
import { parseText, protocDecode } from '../support/protoc.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';

const S = subjects('demo');

async function reply(nc: NatsConnection, r: Partial<MonitorReply>): Promise<StatusReply> {
  const full: MonitorReply = { ...MonitorReply.fromPartial({ domain: 'demo' }), ...r };
  const m = await nc.request(S.reply, MonitorReply.encode(full).finish(), { timeout: 5_000 });
  return StatusReply.decode(m.data);
}

describe('monitor (NATS transport)', function () {
  this.timeout(60_000);
  let server: NatsServer;
  const conns: NatsConnection[] = [];
  const connection = async (): Promise<NatsConnection> => {
    const nc = await connect({ servers: server.url });
    conns.push(nc);
    return nc;
  };

  before(async () => { server = await startNatsServer(); });
  afterEach(async () => { await Promise.all(conns.splice(0).map((c) => c.close())); });
  after(async () => { await server?.stop(); });

  it('runs the xen-access loop against the demo OS over a real nats-server without losing an event', async () => {
    const { domain, serial, monitor } = xenAccessSetup();
    const [service, client, observer] = [await connection(), await connection(), await connection()];
    const observed: bigint[] = [];
    const obsSub = observer.subscribe(S.allEvents, { callback: (_, m) => { observed.push(MonitorEvent.decode(m.data).seq); } });
    const events = client.subscribe(S.allEvents);
    await Promise.all([observer.flush(), client.flush()]);
    const bridge = new NatsMonitorBridge(monitor, service);
    await service.flush();

    const seen: MonitorEvent[] = [];
    let firstBreakpoint: Uint8Array | undefined;
    let steps = 0, stepper = -1;
    const loop = (async () => {
      for await (const m of events) {
        assert.ok(m.subject.startsWith('tsvmi.v1.demo.events.'));
        const e = MonitorEvent.decode(m.data);
        seen.push(e);
        const c = e.reason?.$case;
        if (c === 'softwareBreakpoint') {
          firstBreakpoint ??= m.data;
          const start = stepper < 0;
          if (start) stepper = e.vcpu;
          assert.deepEqual(await reply(client, { seq: e.seq, action: Action.ACTION_REINJECT, toggleSingleStep: start }), { error: undefined });
        } else if (c === 'singleStep') {
          steps++;
          assert.deepEqual(await reply(client, { seq: e.seq, action: Action.ACTION_REINJECT, toggleSingleStep: steps === 5 }), { error: undefined });
        }
      }
    })();

    const outcome = await domain.runForever();
    assert.deepEqual(outcome.kind === 'exit' ? outcome.status : outcome, 1);
    await service.flush();
    await client.flush();
    await observer.flush();
    events.unsubscribe();
    obsSub.unsubscribe();
    await loop;
    await bridge.close();

    checkOs(serial(), 2);
    const bps = seen.filter((e) => e.reason?.$case === 'softwareBreakpoint');
    assert.ok(bps.length >= 1, "the debugee's int3 reached the client, was re-injected, and the debugee saw it");
    const bp = bps[0]!.reason as { $case: 'softwareBreakpoint'; value: { instructionLength: number; gla: bigint; gfn: bigint } };
    assert.equal(bp.value.instructionLength, 1);
    assert.equal(bp.value.gfn, bp.value.gla >> 12n);
    assert.equal(bps[0]!.regs?.rip, bp.value.gla);
    assert.equal(steps, 5);
    // What a subscriber in any language gets: protoc decodes the captured bytes with the .proto files alone.
    const text = parseText(protocDecode('tsvmi.v1.MonitorEvent', 'tsvmi/v1/event.proto', firstBreakpoint!));
    assert.equal(text['seq'], String(bps[0]!.seq));
    assert.equal(text['domain'], '"demo"');
    assert.deepEqual(text['software_breakpoint'], { gfn: String(bp.value.gfn), gla: String(bp.value.gla), instruction_length: '1', type: 'EVENT_TYPE_SW_EXCEPTION' });
    assert.ok(seen.filter((e) => e.reason?.$case === 'singleStep').every((e) => e.vcpu === stepper));
    const cr3 = seen.filter((e) => e.reason?.$case === 'writeCtrlreg' && e.reason.value.index === 3);
    assert.ok(cr3.length > 0, 'CR3 writes were observed');
    assert.ok(cr3.every((e) => e.reason?.$case === 'writeCtrlreg' && e.reason.value.oldValue !== e.reason.value.newValue), 'on change only');
    const seqs = seen.map((e) => e.seq);
    assert.deepEqual(seqs, seqs.map((_, k) => BigInt(k + 1)), 'every event reached the client, in order, with no gaps');
    assert.deepEqual(observed, seqs, 'the observer got a copy of every event');
    assert.equal(monitor.ring.occupancy, 0);
    assert.equal(monitor.counters.refused.size, 0);
  });

  it('refuses malformed, unknown and misaddressed replies with typed errors, and the guest still gets its one valid reply', async () => {
    const { domain } = boot(join(OS, 'kernel.elf'));
    const monitor = new Monitor(domain);
    monitor.configure({ [Reason.SOFTWARE_BREAKPOINT]: { sync: true } });
    const [service, client] = [await connection(), await connection()];
    const events = client.subscribe(S.allEvents, { max: 1 });
    await client.flush();
    const bridge = new NatsMonitorBridge(monitor, service);
    await service.flush();
    const running = domain.runForever();

    let first: MonitorEvent | undefined;
    for await (const m of events) first = MonitorEvent.decode(m.data);
    const seq = first!.seq;
    const code = (s: StatusReply): ErrorCode | undefined => s.error?.code;

    const garbage = await client.request(S.reply, Uint8Array.of(0x0a, 0xff, 0xff), { timeout: 5_000 });
    const g = StatusReply.decode(garbage.data);
    assert.equal(code(g), ErrorCode.ERROR_CODE_INVALID_ARGUMENT);
    assert.match(g.error!.message, /malformed MonitorReply/);
    assert.equal(code(await reply(client, { seq: seq + 100n, action: Action.ACTION_REINJECT })), ErrorCode.ERROR_CODE_INVALID_ARGUMENT);
    assert.equal(code(await reply(client, { domain: 'other', seq, action: Action.ACTION_REINJECT })), ErrorCode.ERROR_CODE_INVALID_ARGUMENT);
    const noAction = await reply(client, { seq });
    assert.equal(code(noAction), ErrorCode.ERROR_CODE_INVALID_ARGUMENT);
    assert.match(noAction.error!.message, /neither drop nor reinject/);
    assert.equal(code(await reply(client, { seq, action: Action.ACTION_REINJECT, emulate: true })), ErrorCode.ERROR_CODE_UNSUPPORTED);
    assert.equal(monitor.ring.outstanding.size, 1, 'the event still waits: refused replies changed nothing');

    // Stop raising events so the demo OS runs to its end once this one is answered.
    monitor.configure({});
    assert.deepEqual(await reply(client, { seq, action: Action.ACTION_REINJECT }), { error: undefined });
    assert.equal(code(await reply(client, { seq, action: Action.ACTION_REINJECT })), ErrorCode.ERROR_CODE_INVALID_ARGUMENT, 'answered twice');
    const outcome = await running;
    assert.deepEqual(outcome.kind === 'exit' ? outcome.status : outcome, 1);
    await bridge.close();
    const refused = Object.fromEntries(monitor.counters.refused);
    assert.deepEqual(refused, { INVALID_REPLY: 3, UNKNOWN_EVENT: 1, UNSUPPORTED: 1, ALREADY_ANSWERED: 1 });
  });
});
