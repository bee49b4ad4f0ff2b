/**
 * The SDK against the running demo OS, on both transports: the process list
 * read from guest memory agrees with what the guest itself printed; a
 * breakpoint on the system-call entry, stepped over automatically on four
 * vCPUs at once, is hit exactly as often as the kernel counted system calls;
 * the guest's own int3 still reaches it; memory and register calls; an NMI
 * injected into a running and into a paused vCPU, seen in status() and the
 * trace log; typed errors.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { firstValueFrom, take, toArray } from 'rxjs';
import { EventType } from '../../src/generated/tsvmi/v1/common.js';
import { DomainState, type DomainInfoReply } from '../../src/generated/tsvmi/v1/control.js';
import { Breakpoints } from '../../src/introspect/breakpoints.js';
import { connect } from '../../src/introspect/connect.js';
import { BusyError, RefusedError, UnknownDomainError } from '../../src/introspect/errors.js';
import { loadProfile } from '../../src/introspect/os/profile.js';
import { Vmi } from '../../src/introspect/vmi.js';
import { Monitor } from '../../src/monitor/monitor.js';
import type { Domain } from '../../src/hypervisor/vm/domain.js';
import { announcedProcesses, boot, checkOs, kernelSymbol, kernelSyscalls, OS } from '../support/demo-os.js';
import { onEachTransport, type Served } from '../support/transports.js';

const KERNEL = join(OS, 'kernel.elf');
const profile = loadProfile(KERNEL);

/** Run the domain (deterministically, in slices of guest time) until its console shows `text`. */
async function runUntil(domain: Domain, serial: () => string, text: string): Promise<void> {
  while (!serial().includes(text)) {
    const o = await domain.run(domain.instructions + 20_000);
    if (o.kind !== 'limit') throw new Error(`the guest stopped (${o.kind}) before printing "${text}"`);
  }
}

onEachTransport('SDK', 120_000, (serve) => {
  let served: Served | undefined;
  async function attach(vcpus: number) {
    const { domain, serial } = boot(KERNEL, vcpus);
    served = await serve(new Monitor(domain));
    return { domain, serial, link: await served.link() };
  }

  it('lists the processes the guest says it started, with their address spaces', async () => {
    const { domain, serial, link } = await attach(2);
    await runUntil(domain, serial, 'spawned faulter as pid 6');
    const vmi = await Vmi.attach(link, { profile });
    const running = domain.runForever();
    await vmi.pause();
    const ps = await vmi.processes();
    const names = announcedProcesses(serial());
    assert.equal(ps[0]!.pid, 0, 'the list starts at init_task');
    for (const p of ps.slice(1)) assert.equal(p.name, names.get(p.pid), `pid ${p.pid}`);
    assert.ok(ps.some((p) => p.name === 'faulter' && p.pid === 6));
    const user = ps.filter((p) => p.pid > 0 && p.state !== 'zombie');
    assert.equal(new Set(user.map((p) => p.dtb)).size, user.length, 'one address space each');
    for (const p of user) {
      assert.equal(await vmi.pidToDtb(p.pid), p.dtb);
      assert.equal(await vmi.dtbToPid(p.dtb), p.pid);
      assert.equal(await vmi.readString(p.task + BigInt(profile.task.name)), p.name, 'the name read as a string');
    }
    const warm = vmi.memory.stats.pageHits;
    await vmi.processes();
    assert.ok(vmi.memory.stats.pageHits >= warm, 'while paused, reads come from the cache');
    await vmi.resume();
    await running;
    checkOs(serial(), 2);
  });

  it('steps over a breakpoint that four vCPUs hit, exactly once per system call the kernel counted', async () => {
    const { domain, serial, link } = await attach(4);
    await runUntil(domain, serial, 'sched: init started');
    const vmi = await Vmi.attach(link, { profile });
    const before = (await vmi.processes()).reduce((n, p) => n + p.syscalls, 0);
    const bps = new Breakpoints(vmi);
    const bp = await bps.insert(profile.syscallEntry);
    const vcpus = new Set<number>(), frames = new Set<bigint>();
    bp.hits$.subscribe((e) => { vcpus.add(e.vcpu); frames.add(e.data.gfn); });
    const guestInt3 = firstValueFrom(vmi.on('softwareBreakpoint').pipe(take(1), toArray()));
    const outcome = await domain.runForever();
    assert.deepEqual(outcome.kind === 'exit' ? outcome.status : outcome, 1);
    checkOs(serial(), 4);
    assert.equal(bp.hits, kernelSyscalls(serial()) - before, `hits = the kernel's count of system calls after the insert (${before} before)`);
    await bps.removeAll(); // also waits for the last step-over's reply to be acknowledged
    assert.equal(bps.stats.stepOvers, bp.hits);
    assert.ok(vcpus.size >= 2, `hit on vCPUs ${[...vcpus]}`);
    assert.deepEqual([...frames], [BigInt(kernelSymbol('syscall_entry').gfn)], 'the events name the guest frame (a physical one), as Xen does');
    const [own] = await guestInt3;
    assert.ok(own!.regs.rip < 0x800000000000n, "the debugee's own int3 (user space) went to the stream and was re-injected");
    assert.equal(await vmi.read8(profile.syscallEntry), (await vmi.readPA(await vmi.translateKV2P(profile.syscallEntry), 1))[0]);
    assert.notEqual(await vmi.read8(profile.syscallEntry), 0xcc, 'the original byte is back');
  });

  it('caches memory only while it holds the domain paused, keyed by address space', async () => {
    const { domain, serial, link } = await attach(2);
    await runUntil(domain, serial, 'spawned faulter as pid 6');
    const vmi = await Vmi.attach(link, { profile });
    const running = domain.runForever();
    const jiffies = vmi.symbol('jiffies');
    await vmi.pause();
    const t0 = await vmi.read64(jiffies);
    const misses = vmi.memory.stats.pageMisses;
    assert.equal(await vmi.read64(jiffies), t0);
    assert.equal(vmi.memory.stats.pageMisses, misses, 'the second read came from the cache');
    // The same user address in two processes: two page-table roots, two translations.
    const [a, b] = (await vmi.processes()).filter((p) => p.name === 'bench' || p.name === 'ticker').slice(0, 2);
    const USER_BASE = 0x400000n;
    assert.notEqual(await vmi.translateUV2P(USER_BASE, a!.pid), await vmi.translateUV2P(USER_BASE, b!.pid));
    await vmi.resume();
    for (let k = 0; k < 200 && (await vmi.read64(jiffies)) === t0; k++) await new Promise((r) => setTimeout(r, 5));
    assert.notEqual(await vmi.read64(jiffies), t0, 'after a resume the guest ran on, and reads see it (nothing stale)');
    await running;
    checkOs(serial(), 2);
  });

  it('injects an NMI the guest takes, running or paused, and reports it in status() and the trace log', async () => {
    const { domain, serial, link } = await attach(2);
    const vmi = await Vmi.attach(link, { profile });
    const NMI = { vector: 2, type: EventType.EVENT_TYPE_NMI };
    const took = (cpu: number) => new RegExp(`kernel: NMI on cpu ${cpu} at rip=`).test(serial());
    const vcpu = (s: DomainInfoReply, v: number) => s.vcpuStats.find((x) => x.vcpu === v)!;
    await assert.rejects(vmi.inject(1, NMI), /SIPI/, 'an AP not started yet would never take it');
    await runUntil(domain, serial, 'sched: init started');
    // Address-space switches (CR3 writes), monitored async: exits the guest makes as it runs.
    await vmi.monitor({ writeCtrlreg: { sync: false, indexes: [3] } });
    const before = await vmi.status();

    // A running vCPU takes it in its next slice: the demo OS's NMI handler says so.
    await vmi.inject(1, NMI);
    await runUntil(domain, serial, 'kernel: NMI on cpu 1');
    assert.ok(!took(0), 'only the target vCPU took it');
    await domain.run(domain.instructions + 3_000_000);
    const after = await vmi.status();
    assert.equal(after.state, DomainState.DOMAIN_STATE_RUNNING);
    assert.equal(vcpu(after, 1).nmiInjected, vcpu(before, 1).nmiInjected + 1n);
    assert.equal(vcpu(after, 1).injected, vcpu(before, 1).injected + 1n);
    assert.equal(vcpu(after, 0).nmiInjected, vcpu(before, 0).nmiInjected);
    const crWrites = (s: DomainInfoReply) => s.vcpuStats.reduce((n, x) => n + (x.exitsByReason['cr-write'] ?? 0n), 0n);
    assert.ok(crWrites(after) > crWrites(before), `CR writes exit while the guest runs (${crWrites(before)}, then ${crWrites(after)})`);
    for (const x of after.vcpuStats) {
      assert.equal(x.exits, Object.values(x.exitsByReason).reduce((a, b) => a + b, 0n), `vCPU ${x.vcpu}: the reasons add up to the exits`);
      assert.ok(x.retiredInstructions > vcpu(before, x.vcpu).retiredInstructions);
    }

    // A paused vCPU gets it on resume, not before; one event waits at a time.
    await vmi.pause();
    await vmi.inject(0, NMI);
    await assert.rejects(vmi.inject(0, NMI), RefusedError, 'one event waits at a time');
    assert.equal((await domain.run(domain.instructions + 100_000)).kind, 'paused');
    assert.ok(!took(0), 'not delivered while paused');
    const waiting = await vmi.traceLog({ vcpu: 0, limit: 1 });
    assert.deepEqual(waiting.map((e) => e.message), ['Injecting NMI (type 2)'], 'queued, not delivered');
    assert.equal(vcpu(await vmi.status(), 0).nmiInjected, vcpu(before, 0).nmiInjected + 1n);
    await vmi.resume();
    await runUntil(domain, serial, 'kernel: NMI on cpu 0');

    // The trace log: both vCPUs, oldest first, each injection followed by its delivery.
    const all = await vmi.traceLog();
    assert.deepEqual(new Set(all.map((e) => e.vcpu)), new Set([0, 1]));
    all.slice(1).forEach((e, k) => assert.ok(all[k]!.icount < e.icount || (all[k]!.icount === e.icount && all[k]!.vcpu <= e.vcpu), `entry ${k + 1} is in guest-time order`));
    for (const v of [0, 1]) {
      const own = await vmi.traceLog({ vcpu: v });
      assert.deepEqual(own, all.filter((e) => e.vcpu === v), `vCPU ${v}'s log is its part of the whole`);
      const at = own.findIndex((e) => e.message === 'Injecting NMI (type 2)');
      assert.ok(at >= 0, `vCPU ${v}: the injection is logged`);
      assert.deepEqual(own[at + 1], { vcpu: v, icount: own[at]!.icount, message: 'NMI delivered' }, `vCPU ${v}: delivered before any instruction ran`);
      assert.ok(own.some((e) => e.message.startsWith('exit cr-write')), `vCPU ${v}: its CR write exits are logged`);
    }
    assert.deepEqual(await vmi.traceLog({ limit: 3 }), all.slice(-3), 'a limit keeps the newest');
    await assert.rejects(vmi.traceLog({ vcpu: 9 }), RefusedError);
    await assert.rejects(vmi.traceLog({ limit: 9000 }), RefusedError);
    await vmi.close();
    const outcome = await domain.runForever();
    assert.deepEqual(outcome.kind === 'exit' ? outcome.status : outcome, 1);
    // The guest took each NMI once and went on to finish every task correctly.
    const NMI_LINE = /^kernel: NMI on cpu (\d+) at rip=0x[0-9a-f]+\r?\n/gm;
    assert.deepEqual([...serial().matchAll(NMI_LINE)].map((m) => m[1]), ['1', '0']);
    checkOs(serial().replace(NMI_LINE, ''), 2);
  });

  it('reads and writes memory and registers, and refuses with typed errors', async () => {
    const { domain, serial, link } = await attach(1);
    await runUntil(domain, serial, 'sched: init started');
    const vmi = await Vmi.attach(link, { profile });
    const regs = await vmi.getRegisters(0);
    assert.ok(regs.cr3 > 0n);
    const jiffies = vmi.symbol('jiffies');
    const pa = await vmi.translateKV2P(jiffies);
    assert.equal(pa, jiffies - profile.symbols.get('KERNEL_VMA')!, 'the kernel is mapped at KERNEL_VMA + physical');
    assert.equal(await vmi.read64(jiffies), (await vmi.readPA(pa, 8)).reduce((v, b, k) => v | (BigInt(b) << BigInt(8 * k)), 0n));
    await vmi.writeVA(jiffies, Uint8Array.of(0x2a, 0, 0, 0, 0, 0, 0, 0));
    assert.equal(await vmi.read64(jiffies), 0x2an);
    await assert.rejects(vmi.readPA(1n << 40n, 1), RefusedError);
    await assert.rejects(vmi.getRegisters(9), RefusedError);
    await assert.rejects(vmi.translateKV2P(0x7000_0000_0000n), /not mapped/);
    if (served!.natsUrl) {
      const conn = await connect({ servers: served!.natsUrl });
      await assert.rejects(conn.attach('nobody'), UnknownDomainError);
      await assert.rejects(conn.attach('demo'), BusyError, 'this test is the controller already');
      await conn.close();
    }
    await vmi.close();
    await domain.runForever();
    checkOs(serial(), 1);
  });
});
