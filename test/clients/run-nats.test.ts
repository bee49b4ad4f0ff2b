/**
 * `tsvmi run --nats URL --paused` as a user would drive it from any language:
 * the domain waits, a plain NATS client enables breakpoint events through the
 * control plane, resumes the domain, answers the events, and the guest runs to
 * its normal end; and with --unattended, the events nobody answers are answered
 * with the default action after the timeout.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Reason } from '../../src/generated/tsvmi/v1/common.js';
import { DomainInfoReply, DomainInfoRequest, DomainState, ResumeRequest, SetMonitorConfigRequest, StatusReply } from '../../src/generated/tsvmi/v1/control.js';
import { Action } from '../../src/generated/tsvmi/v1/reply.js';
import type { Controller } from '../../src/monitor/link.js';
import { NatsLink } from '../../src/monitor/nats-link.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';

const TSVMI = join(process.cwd(), 'dist/clients/tsvmi.js');
const KERNEL = join(process.cwd(), 'guests/build/os/kernel.elf');

async function info(nc: NatsConnection): Promise<DomainInfoReply | undefined> {
  try {
    const m = await nc.request('tsvmi.v1.demo.info', DomainInfoRequest.encode({ domain: 'demo' }).finish(), { timeout: 1_000 });
    return DomainInfoReply.decode(m.data);
  } catch {
    return undefined; // not served yet (no responders)
  }
}

describe('tsvmi run --nats', function () {
  this.timeout(60_000);
  let server: NatsServer;
  before(async () => { server = await startNatsServer(); });
  after(async () => { await server?.stop(); });

  it('serves a paused domain that a NATS client configures, resumes and debugs to its end', async () => {
    const child = spawn(process.execPath, [TSVMI, 'run', KERNEL, '--vcpus', '2', '--name', 'demo', '--nats', server.url, '--paused'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const nc = await connect({ servers: server.url });
    let ctl!: Controller;
    try {
      let i: DomainInfoReply | undefined;
      for (let k = 0; k < 100 && !(i = await info(nc)); k++) await sleep(50);
      assert.equal(i?.state, DomainState.DOMAIN_STATE_PAUSED, stderr);
      assert.equal(i!.vcpuStats.reduce((a, s) => a + s.retiredInstructions, 0n), 0n, 'nothing ran before the client said so');

      const config = SetMonitorConfigRequest.encode({ domain: 'demo', config: { reasons: [{ reason: Reason.REASON_SOFTWARE_BREAKPOINT, enabled: true, sync: true, onChangeOnly: false, indexes: [] }], includeEmulated: false } }).finish();
      assert.deepEqual(StatusReply.decode((await nc.request('tsvmi.v1.demo.control.set-monitor-config', config, { timeout: 5_000 })).data), { error: undefined });
      // The client that answers is the domain's controller: it attaches (a plain NATS
      // client could send the same AttachControllerRequest; NatsLink does just that).
      let breakpoints = 0;
      const link = new NatsLink(nc, 'demo');
      await link.control((e) => {
        if (e.reason?.$case === 'softwareBreakpoint') breakpoints++;
        void ctl.reply({ seq: e.seq, action: Action.ACTION_REINJECT });
      }).then((c) => { ctl = c; });
      let consoleText = '';
      nc.subscribe('tsvmi.v1.demo.console', { callback: (_err, m) => { consoleText += m.string(); } });
      await nc.flush();
      assert.deepEqual(StatusReply.decode((await nc.request('tsvmi.v1.demo.control.resume', ResumeRequest.encode({ domain: 'demo' }).finish(), { timeout: 5_000 })).data), { error: undefined });
      assert.equal(await exited, 1, stderr);
      assert.match(stdout, /shutdown: init exited with code 0/);
      assert.equal(consoleText, stdout, 'the console on tsvmi.v1.demo.console is what the terminal shows');
      assert.ok(breakpoints >= 1, 'the debugee\'s int3 came over NATS and was re-injected');
    } finally {
      child.kill();
      await nc.close();
    }
  });

  it('with --unattended, answers sync events nobody attached for, and says so', async () => {
    const child = spawn(process.execPath, [TSVMI, 'run', KERNEL, '--name', 'demo', '--nats', server.url, '--paused', '--unattended', '100:reinject'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const nc = await connect({ servers: server.url });
    try {
      for (let k = 0; k < 100 && !(await info(nc)); k++) await sleep(50);
      const link = new NatsLink(nc, 'demo');
      await link.request('control.set-monitor-config', SetMonitorConfigRequest, StatusReply, {
        config: { reasons: [{ reason: Reason.REASON_SOFTWARE_BREAKPOINT, enabled: true, sync: true, onChangeOnly: false, indexes: [] }], includeEmulated: false },
      });
      await link.request('control.resume', ResumeRequest, StatusReply, {});
      assert.equal(await exited, 1, stderr);
      assert.match(stdout, /shutdown: init exited with code 0/);
      assert.match(stderr, /no controller for 100 ms: event \d+ \(software-breakpoint, vCPU 0\) answered with reinject/);
    } finally {
      child.kill();
      await nc.close();
    }
  });

  it('fails clearly when the server is not there, and refuses --paused without --nats', () => {
    const r = spawnSync(process.execPath, [TSVMI, 'run', KERNEL, '--nats', 'nats://127.0.0.1:1'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot serve on NATS at nats:\/\/127\.0\.0\.1:1/);
    const p = spawnSync(process.execPath, [TSVMI, 'run', KERNEL, '--paused'], { encoding: 'utf8' });
    assert.equal(p.status, 2);
    assert.match(p.stderr, /--paused needs --nats/);
    const u = spawnSync(process.execPath, [TSVMI, 'run', KERNEL, '--nats', server.url, '--unattended', 'soon:drop'], { encoding: 'utf8' });
    assert.equal(u.status, 2);
    assert.match(u.stderr, /--unattended takes MS:drop or MS:reinject/);
  });
});
