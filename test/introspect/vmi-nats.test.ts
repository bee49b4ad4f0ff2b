/**
 * What an SDK stream does on the wire (NATS only): an observer's events$
 * holds its NATS subscription exactly while someone subscribes — after the
 * last unsubscribe the server sends this client no more events.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { firstValueFrom, take, toArray } from 'rxjs';
import { Vmi } from '../../src/introspect/vmi.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { NatsMonitorBridge } from '../../src/monitor/nats.js';
import { NatsLink } from '../../src/monitor/nats-link.js';
import { Reason } from '../../src/monitor/event.js';
import { boot, checkOs, OS } from '../support/demo-os.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';

describe('SDK streams on NATS', function () {
  this.timeout(60_000);
  let server: NatsServer;
  const conns: NatsConnection[] = [];
  before(async () => { server = await startNatsServer(); });
  after(async () => { await Promise.all(conns.map((c) => c.close())); await server?.stop(); });

  it('drops the NATS subscription when the last subscriber unsubscribes', async () => {
    const { domain, serial } = boot(join(OS, 'kernel.elf'));
    const monitor = new Monitor(domain);
    monitor.configure({ [Reason.WRITE_CTRLREG]: { sync: false } }); // plenty of async events, nobody waits
    const [service, client] = [await connect({ servers: server.url }), await connect({ servers: server.url })];
    conns.push(service, client);
    const bridge = new NatsMonitorBridge(monitor, service);
    await service.flush();
    const vmi = await Vmi.attach(new NatsLink(client, 'demo'), { role: 'observer' });
    const firstFive = firstValueFrom(vmi.events$.pipe(take(5), toArray())); // take(5) unsubscribes after the fifth
    const running = domain.runForever();
    assert.equal((await firstFive).length, 5);
    await client.flush(); // the unsubscribe has reached the server
    const received = client.stats().inMsgs;
    await running;
    await service.flush();
    await client.flush();
    await bridge.close();
    checkOs(serial(), 2);
    const raised = monitor.counters.events.get(Reason.WRITE_CTRLREG)!;
    assert.ok(raised > 20, `${raised} events raised`);
    assert.ok(client.stats().inMsgs - received <= 2, `after unsubscribing, ${client.stats().inMsgs - received} more messages (flush replies only)`);
  });
});
