/**
 * The dashboard's server over NATS, through a real nats-server: named domains
 * (the monitor announces none), one served and one not; the served one's
 * state, vCPUs and RIPs; the serial console as the domain's owner publishes
 * it on `….console`; pause and resume through the controller session it holds;
 * /metrics with the connection's state.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { natsDirectory } from '../../clients/dashboard/directory.js';
import { serveDashboard, type DashboardServer } from '../../clients/dashboard/server.js';
import type { DashboardSnapshot, DomainView } from '../../clients/dashboard/snapshot.js';
import { connect, type VmiConnection } from '../../src/introspect/connect.js';
import { loadProfile } from '../../src/introspect/os/profile.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { NatsMonitorBridge } from '../../src/monitor/nats.js';
import { waitFor } from '../support/browser.js';
import { boot, OS } from '../support/demo-os.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';

const KERNEL = join(OS, 'kernel.elf');

describe('dashboard over NATS', function () {
  this.timeout(60_000);
  let server: NatsServer, served: NatsConnection, bridge: NatsMonitorBridge, conn: VmiConnection, dash: DashboardServer, monitor: Monitor;

  before(async () => {
    server = await startNatsServer();
    const { domain } = boot(KERNEL, 2);
    await domain.run(2_000_000); // booted far enough to have page tables and both vCPUs up
    monitor = new Monitor(domain);
    served = await natsConnect({ servers: server.url });
    bridge = new NatsMonitorBridge(monitor, served);
    await served.flush();
    conn = await connect({ servers: server.url });
    dash = await serveDashboard({ domains: natsDirectory(conn, ['demo', 'ghost'], { servers: server.url, profile: loadProfile(KERNEL) }), port: 0, controller: true });
  });
  after(async () => {
    await dash?.close();
    await conn?.close();
    await bridge?.close();
    await served?.close();
    await server?.stop();
  });

  const snapshot = async (): Promise<DashboardSnapshot> => (await fetch(`${dash.url}api/snapshot`)).json() as Promise<DashboardSnapshot>;
  const domain = async (name: string): Promise<DomainView> => (await snapshot()).domains.find((d) => d.name === name)!;

  it('shows the named domains: the served one with its vCPUs and console, the other unreachable', async () => {
    const s = await snapshot();
    assert.deepEqual(s.nats, { connected: true, servers: server.url });
    assert.deepEqual(s.domains.map((d) => d.name), ['demo', 'ghost']);
    const demo = await waitFor('the demo domain\'s registers', async () => { const d = await domain('demo'); return d.vcpuTable.every((v) => v.rip !== '') && d; });
    assert.equal(demo.state, 'running');
    assert.equal(demo.vcpus, 2);
    assert.equal(demo.vendor, 'intel');
    assert.ok(demo.vcpuTable.every((v) => v.mode === '64-bit kernel' && v.symbol !== ''), JSON.stringify(demo.vcpuTable));
    await conn.nats.flush(); // the dashboard's console subscription is on the server
    bridge.publishConsole(Buffer.from('kernel: hello from COM1\n', 'latin1'));
    await waitFor('the console line', async () => { const c = (await domain('demo')).console; return c.available && c.text.includes('hello from COM1'); });
    assert.equal(demo.control.allowed, true, demo.control.why);
    const ghost = await domain('ghost');
    assert.equal(ghost.state, 'unreachable');
    assert.match(ghost.error, /cannot attach/);
    assert.equal(ghost.control.allowed, false);
  });

  it('pauses and resumes a NATS domain through its controller session', async () => {
    const post = (verb: string): Promise<Response> => fetch(`${dash.url}api/domains/demo/${verb}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal((await post('pause')).status, 200);
    assert.equal(monitor.domain.pauseCount, 1);
    await waitFor('the snapshot to say paused', async () => (await domain('demo')).state === 'paused');
    assert.equal((await post('resume')).status, 200);
    assert.equal(monitor.domain.pauseCount, 0);
    const refused = await post('resume');
    assert.equal(refused.status, 409, 'nothing to resume');
    assert.equal((await fetch(`${dash.url}api/domains/demo/pause`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' })).status, 415, 'a cross-site form cannot pause');
    assert.equal((await post('../nobody/pause')).status, 404, 'no such domain');
    assert.equal((await post('../ghost/pause')).status, 403, 'a domain it holds no controller session for');
  });

  it('serves /metrics with the NATS connection state', async () => {
    const res = await fetch(`${dash.url}metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^tsvmi_nats_connected 1$/m);
    assert.match(text, /^tsvmi_domain_up\{domain="demo"\} 1$/m);
  });
});
