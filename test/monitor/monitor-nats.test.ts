/**
 * What only the NATS transport has (the shared behaviour is in
 * conformance.test.ts): bytes a subscriber in any language decodes with the
 * .proto files alone (protoc on a captured event), undecodable replies, replies
 * from clients that are not the controller, and controller leases — kept alive
 * by keepalives, lapsing when the controller's connection dies, after which the
 * next controller gets the unanswered event again; queue groups of observers.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Reason as PbReason } from '../../src/generated/tsvmi/v1/common.js';
import { SetMonitorConfigRequest, StatusReply } from '../../src/generated/tsvmi/v1/control.js';
import { ErrorCode } from '../../src/generated/tsvmi/v1/error.js';
import { EventFlag, type MonitorEvent } from '../../src/generated/tsvmi/v1/event.js';
import { Action, MonitorReply } from '../../src/generated/tsvmi/v1/reply.js';
import { MonitorErrorCode } from '../../src/monitor/errors.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { NatsMonitorBridge } from '../../src/monitor/nats.js';
import { NatsLink } from '../../src/monitor/nats-link.js';
import { subjects } from '../../src/monitor/subjects.js';
import { boot, checkOs, OS } from '../support/demo-os.js';
import { parseText, protocDecode } from '../support/protoc.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';

const S = subjects('demo');
const BREAKPOINTS = { config: { reasons: [{ reason: PbReason.REASON_SOFTWARE_BREAKPOINT, enabled: true, sync: true, onChangeOnly: false, indexes: [] }], includeEmulated: false } };

describe('monitor (NATS transport only)', function () {
  this.timeout(60_000);
  let server: NatsServer;
  const conns: NatsConnection[] = [];
  const connection = async (): Promise<NatsConnection> => {
    const nc = await connect({ servers: server.url });
    conns.push(nc);
    return nc;
  };

  before(async () => { server = await startNatsServer(); });
  afterEach(async () => { await Promise.all(conns.splice(0).map((c) => c.close().catch(() => {}))); });
  after(async () => { await server?.stop(); });

  /** The demo OS on one vCPU with sync breakpoints, served on NATS, and a link for a client. */
  async function demo(leaseMs = 5_000) {
    const { domain, serial } = boot(join(OS, 'kernel.elf'), 1);
    const monitor = new Monitor(domain);
    const service = await connection();
    const bridge = new NatsMonitorBridge(monitor, service, { leaseMs });
    await service.flush(); // the bridge's subscriptions are on the server before the first request
    const link = new NatsLink(await connection(), 'demo');
    await link.request('control.set-monitor-config', SetMonitorConfigRequest, StatusReply, BREAKPOINTS);
    return { domain, serial, monitor, bridge, link };
  }

  async function rawReply(nc: NatsConnection, bytes: Uint8Array): Promise<StatusReply> {
    return StatusReply.decode((await nc.request(S.reply, bytes, { timeout: 5_000 })).data);
  }

  it('publishes events that protoc decodes with the .proto files alone, and refuses replies from anyone but the controller', async () => {
    const { domain, serial, monitor, bridge, link } = await demo();
    const raw = await connection();
    let captured: Uint8Array | undefined;
    raw.subscribe(S.allEvents, { max: 1, callback: (_e, m) => { captured = m.data; } });
    await raw.flush();
    const first: MonitorEvent[] = [];
    const ctl = await link.control((e) => { first.push(e); });
    const running = domain.runForever();
    while (first.length === 0) await new Promise((r) => setTimeout(r, 10));
    const e = first[0]!;

    const garbage = await rawReply(raw, Uint8Array.of(0x0a, 0xff, 0xff));
    assert.equal(garbage.error?.code, ErrorCode.ERROR_CODE_INVALID_ARGUMENT);
    assert.match(garbage.error!.message, /malformed MonitorReply/);
    const stranger = await rawReply(raw, MonitorReply.encode(MonitorReply.fromPartial({ domain: 'demo', seq: e.seq, action: Action.ACTION_REINJECT, session: 'not-the-controller' })).finish());
    assert.equal(stranger.error?.code, ErrorCode.ERROR_CODE_PERMISSION_DENIED);
    assert.equal(monitor.ring.outstanding.size, 1, 'refused replies changed nothing');

    await ctl.reply({ seq: e.seq, action: Action.ACTION_REINJECT });
    // Breakpoints off: later hits this test leaves unanswered are let go as if unmonitored.
    await link.request('control.set-monitor-config', SetMonitorConfigRequest, StatusReply, { config: { reasons: [{ ...BREAKPOINTS.config.reasons[0]!, enabled: false }], includeEmulated: false } });
    assert.deepEqual((await running).kind, 'exit');
    checkOs(serial(), 1);
    await bridge.close();
    assert.deepEqual(Object.fromEntries(monitor.counters.refused), { [MonitorErrorCode.INVALID_REPLY]: 1, [MonitorErrorCode.NOT_CONTROLLER]: 1 });

    // What a subscriber in any language gets.
    const text = parseText(protocDecode('tsvmi.v1.MonitorEvent', 'tsvmi/v1/event.proto', captured!));
    const bp = e.reason as { $case: 'softwareBreakpoint'; value: { gfn: bigint; gla: bigint } };
    assert.equal(text['seq'], String(e.seq));
    assert.equal(text['domain'], '"demo"');
    assert.equal(text['flags'], '1', 'VCPU_PAUSED');
    assert.deepEqual(text['software_breakpoint'], { gfn: String(bp.value.gfn), gla: String(bp.value.gla), instruction_length: '1', type: 'EVENT_TYPE_SW_EXCEPTION' });
  });

  it('shares events among observers of one queue group, while other observers get them all', async () => {
    const { domain, serial, bridge, link } = await demo();
    await link.request('control.set-monitor-config', SetMonitorConfigRequest, StatusReply, {
      config: { reasons: [{ ...BREAKPOINTS.config.reasons[0]!, enabled: false }, { reason: PbReason.REASON_WRITE_CTRLREG, enabled: true, sync: false, onChangeOnly: true, indexes: [] }], includeEmulated: false },
    });
    const got = async (queue?: string): Promise<bigint[]> => {
      const seqs: bigint[] = [];
      await new NatsLink(await connection(), 'demo', queue ? { queue } : {}).observe((e) => seqs.push(e.seq));
      return seqs;
    };
    const [a, b, all] = [await got('dashboards'), await got('dashboards'), await got()];
    await domain.runForever();
    checkOs(serial(), 1);
    await bridge.close();
    for (const nc of conns) await nc.flush();
    assert.ok(all.length > 10);
    assert.ok(a.length > 0 && b.length > 0, `both members got some (${a.length} + ${b.length})`);
    assert.deepEqual([...a, ...b].sort((x, y) => (x < y ? -1 : 1)), all, 'each event went to exactly one member');
  });

  it('ends a lease whose controller vanished, and redelivers its unanswered event to the next controller', async () => {
    const { domain, serial, bridge, link } = await demo(300);
    const doomed = await connection();
    const doomedLink = new NatsLink(doomed, 'demo');
    const first: MonitorEvent[] = [];
    await doomedLink.control((e) => { first.push(e); });
    const running = domain.runForever();
    while (first.length === 0) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 600)); // keepalives hold the lease past its length
    await assert.rejects(link.control(() => {}), (e: { code?: ErrorCode }) => e.code === ErrorCode.ERROR_CODE_BUSY);
    await doomed.close(); // gone without detaching: only the lapsing lease tells the domain
    await new Promise((r) => setTimeout(r, 500));

    const again: MonitorEvent[] = [];
    const ctl = await link.control((e) => { again.push(e); void ctl.reply({ seq: e.seq, action: Action.ACTION_REINJECT }); });
    await running;
    assert.equal(again[0]!.seq, first[0]!.seq, 'the unanswered event came first');
    assert.ok(again[0]!.flags & EventFlag.EVENT_FLAG_REDELIVERED);
    checkOs(serial(), 1);
    await bridge.close();
  });
});
