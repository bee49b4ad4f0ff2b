/**
 * The optional JetStream audit log: with a real nats-server running JetStream,
 * every event the demo OS raised is kept in the domain's stream, in order, and
 * can be read back (replayed) after the domain has finished; `tsvmi run`
 * refuses --audit without --nats and says so when the server has no JetStream.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Reason as PbReason } from '../../src/generated/tsvmi/v1/common.js';
import { SetMonitorConfigRequest, StatusReply } from '../../src/generated/tsvmi/v1/control.js';
import { MonitorEvent } from '../../src/generated/tsvmi/v1/event.js';
import { auditStreamName, ensureAuditStream } from '../../src/monitor/audit.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { NatsMonitorBridge } from '../../src/monitor/nats.js';
import { NatsLink } from '../../src/monitor/nats-link.js';
import { boot, checkOs, OS } from '../support/demo-os.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';

const TSVMI = join(process.cwd(), 'dist/clients/tsvmi.js');

describe('JetStream audit log', function () {
  this.timeout(60_000);
  let server: NatsServer, plain: NatsServer;
  const conns: NatsConnection[] = [];
  before(async () => { [server, plain] = await Promise.all([startNatsServer({ jetstream: true }), startNatsServer()]); });
  after(async () => { await Promise.all(conns.map((c) => c.close())); await server?.stop(); await plain?.stop(); });

  it('keeps every event of the domain, in order, for replay after the run', async () => {
    const { domain, serial } = boot(join(OS, 'kernel.elf'));
    const monitor = new Monitor(domain);
    const [service, client] = [await connect({ servers: server.url }), await connect({ servers: server.url })];
    conns.push(service, client);
    await ensureAuditStream(service, 'demo', 10_000);
    const bridge = new NatsMonitorBridge(monitor, service);
    await service.flush(); // its subscriptions are on the server before anyone asks
    const link = new NatsLink(client, 'demo');
    await link.request('control.set-monitor-config', SetMonitorConfigRequest, StatusReply, {
      config: { reasons: [{ reason: PbReason.REASON_WRITE_CTRLREG, enabled: true, sync: false, onChangeOnly: true, indexes: [] }], includeEmulated: false },
    });
    await domain.runForever();
    checkOs(serial(), 2);
    await bridge.close();

    const raised = [...monitor.counters.events.values()].reduce((a, b) => a + b, 0);
    assert.ok(raised > 0);
    const jsm = await jetstreamManager(client);
    // The server stores what it received in its own time: wait (boundedly) for the count to settle.
    let kept = 0;
    for (let k = 0; k < 100 && kept < raised; k++) {
      kept = (await jsm.streams.info(auditStreamName('demo'))).state.messages;
      if (kept < raised) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(kept, raised, 'every event was kept');

    const consumer = await jetstream(client).consumers.get(auditStreamName('demo')); // ordered: a replay from the start
    const replayed: bigint[] = [];
    const messages = await consumer.consume();
    for await (const m of messages) {
      replayed.push(MonitorEvent.decode(m.data).seq);
      if (replayed.length === raised) break;
    }
    assert.deepEqual(replayed, replayed.map((_, k) => BigInt(k + 1)), 'in order, from the first');
  });

  it('tsvmi run refuses --audit without --nats, and explains a server without JetStream', () => {
    const kernel = join(OS, 'kernel.elf');
    const usage = spawnSync(process.execPath, [TSVMI, 'run', kernel, '--audit'], { encoding: 'utf8' });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /--audit needs --nats/);
    const noJs = spawnSync(process.execPath, [TSVMI, 'run', kernel, '--nats', plain.url, '--audit'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(noJs.status, 1);
    assert.match(noJs.stderr, /no audit stream: .*jetstream/i);
  });
});
