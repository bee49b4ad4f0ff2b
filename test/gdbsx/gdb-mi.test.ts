/**
 * gdbsx against the real gdb, driven asynchronously through gdb/MI on the
 * running demo OS (two vCPUs, in process): breakpoints on functions hit as
 * often as the kernel says, each reported once per resume and never as a
 * stray SIGTRAP; hardware breakpoints and watch, rwatch and awatch; Ctrl-C on
 * each thread with scheduler-locking on; the monitor commands; and the end of
 * the guest reported as gdb expects (W).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serveGdb, type GdbServer } from '../../src/gdbsx/server.js';
import { loadProfile, type Profile } from '../../src/introspect/os/profile.js';
import { Vmi } from '../../src/introspect/vmi.js';
import { LocalLink } from '../../src/monitor/local-link.js';
import { Monitor } from '../../src/monitor/monitor.js';
import type { RunOutcome } from '../../src/hypervisor/vm/domain.js';
import { boot, checkOs, kernelSyscalls, OS } from '../support/demo-os.js';
import { field, GdbMi } from '../support/gdb-mi.js';

const KERNEL = join(OS, 'kernel.elf');

interface Debugged { gdb: GdbMi; vmi: Vmi; serial: () => string; running: Promise<RunOutcome>; server: GdbServer }

describe('gdbsx with gdb/MI', function () {
  this.timeout(120_000);
  let profile: Profile;
  let open: Debugged | undefined;
  before(() => { profile = loadProfile(KERNEL); });
  afterEach(async () => { await open?.gdb.close(); await open?.server.close(); open = undefined; });

  async function debug(vcpus = 2): Promise<Debugged> {
    const { domain, serial } = boot(KERNEL, vcpus);
    while (!serial().includes('sched: init started')) await domain.run(domain.instructions + 20_000);
    const vmi = await Vmi.attach(new LocalLink(new Monitor(domain)), { profile });
    const server = await serveGdb(vmi);
    const running = domain.runForever();
    const gdb = new GdbMi();
    await gdb.command('-gdb-set mi-async on'); // commands (-exec-interrupt) are read while the target runs
    await gdb.command(`-file-exec-and-symbols ${KERNEL}`);
    await gdb.command(`-target-select remote 127.0.0.1:${server.port}`);
    await gdb.nextStop(); // the stop gdb finds the target in ('?')
    open = { gdb, vmi, serial, running, server };
    return open;
  }

  /** Continue and return the one stop it ends with. */
  async function cont(gdb: GdbMi, args = ''): Promise<string> {
    await gdb.command(`-exec-continue${args}`);
    return gdb.nextStop();
  }

  it('hits a function breakpoint once per system call the kernel counted, one stop per resume, never spuriously', async () => {
    const { gdb, vmi, serial, running } = await debug(2);
    const before = (await vmi.processes()).reduce((n, p) => n + p.syscalls, 0);
    await gdb.command('-break-insert syscall_entry');
    let hits = 0;
    const threads = new Set<string>();
    for (;;) {
      const stop = await cont(gdb);
      if (field(stop, 'reason')?.startsWith('exited')) break;
      assert.equal(field(stop, 'reason'), 'breakpoint-hit', `every stop is the breakpoint: ${stop}`);
      assert.equal(BigInt(field(stop, 'addr')!), profile.syscallEntry, 'with the PC on it');
      threads.add(field(stop, 'thread-id')!);
      hits++;
    }
    assert.equal(gdb.unconsumedStops.length, 0, 'one stop per resume');
    const outcome = await running;
    assert.deepEqual(outcome.kind === 'exit' ? outcome.status : outcome, 1);
    checkOs(serial(), 2);
    assert.equal(hits, kernelSyscalls(serial()) - before, `hits = the kernel's count (${before} before gdb came)`);
    assert.deepEqual([...threads].sort(), ['1', '2'], 'both vCPUs ran through it');
    assert.match(gdb.console, /exited with code 01|exited normally/);
  });

  it('fires watch, rwatch and awatch on guest data, and a hardware breakpoint repeatedly', async () => {
    const { gdb } = await debug(2);
    const cases = [['', 'watchpoint-trigger'], ['-r ', 'read-watchpoint-trigger'], ['-a ', 'access-watchpoint-trigger']] as const;
    for (const [flag, reason] of cases) {
      const { text } = await gdb.command(`-break-watch ${flag}jiffies`);
      const stop = await cont(gdb);
      assert.equal(field(stop, 'reason'), reason, stop);
      if (flag === '') assert.equal(BigInt(field(stop, 'new')!), BigInt(field(stop, 'old')!) + 1n, 'the tick counted one up');
      assert.match(stop, new RegExp(`exp="jiffies"`));
      await gdb.command(`-break-delete ${field(text, 'number')}`);
    }
    await gdb.command('-break-insert -h syscall_entry');
    let last = -1n;
    for (let k = 0; k < 4; k++) {
      const stop = await cont(gdb);
      assert.equal(field(stop, 'reason'), 'breakpoint-hit', stop);
      assert.equal(BigInt(field(stop, 'addr')!), profile.syscallEntry);
      // RF let the instruction run: each stop is a new system call, not the same #DB again.
      await gdb.command('-interpreter-exec console "monitor vcpus"');
      const done = [...gdb.console.matchAll(/(\d+) instructions/g)].reduce((n, m) => n + BigInt(m[1]!), 0n);
      assert.ok(done > last, 'the guest went on between hits');
      last = done;
    }
  });

  it('interrupts each thread with scheduler-locking on, and stops on that thread; the other stays put', async () => {
    const { gdb, vmi } = await debug(2);
    await gdb.command('set scheduler-locking on');
    for (const thread of ['1', '2']) {
      const other = thread === '1' ? 1 : 0;
      await gdb.command(`-thread-select ${thread}`);
      const held = await vmi.getRegisters(other);
      await gdb.command('-exec-continue');
      await new Promise((r) => setTimeout(r, 200));
      await gdb.command('-exec-interrupt');
      const stop = await gdb.nextStop();
      assert.equal(field(stop, 'signal-name'), 'SIGINT', stop);
      assert.equal(field(stop, 'thread-id'), thread, 'the stop names the thread that ran');
      assert.equal((await vmi.getRegisters(other)).rip, held.rip, 'the locked-out vCPU did not run');
    }
  });

  it('answers monitor commands and describes the vCPUs in info threads', async () => {
    const { gdb, serial } = await debug(2);
    await gdb.command('info threads');
    assert.match(gdb.console, /Thread 1 \(vCPU 0, paused, 64-bit mode\)/);
    await gdb.command('monitor stats');
    assert.match(gdb.console, /vCPU 1: \d+ instructions, \d+ exits/);
    await gdb.command('monitor nmi 1');
    assert.match(gdb.console, /NMI injected into vCPU 1/);
    await gdb.command('monitor trace 5');
    assert.match(gdb.console, /Injecting NMI/, 'the trace log shows the injection');
    await gdb.command('monitor bogus');
    assert.match(gdb.console, /unknown monitor command 'bogus'/);
    await gdb.command('-exec-continue');
    while (!serial().includes('NMI on cpu 1')) await new Promise((r) => setTimeout(r, 20)); // the guest's own account
    await gdb.command('-exec-interrupt');
    assert.equal(field(await gdb.nextStop(), 'signal-name'), 'SIGINT');
  });
});
