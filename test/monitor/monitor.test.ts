/**
 * The monitor itself, in-process, against the running demo OS: what the
 * conformance suite (conformance.test.ts, both transports) does not cover —
 * MSR writes with their old values, on change only and per index; interrupts
 * delivered; the opt-in for emulated events (seed 003); step permissions —
 * and the Session API's
 * own refusals (an observer replying).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MonitorError, MonitorErrorCode } from '../../src/monitor/errors.js';
import { EventFlag, Reason, type MonitorEvent } from '../../src/monitor/event.js';
import { PageAccess } from '../../src/hypervisor/mmu/page-access.js';
import { breakpointDomain, CODE, DB_HANDLER, IDT } from '../support/breakpoint-guest.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { boot, checkOs, OS } from '../support/demo-os.js';

const refusal = (f: () => void, code: MonitorErrorCode): void => assert.throws(f, (e: unknown) => e instanceof MonitorError && e.code === code);

describe('monitor (in-process API)', () => {
  it('reports MSR writes with the value before and after, and on change only skips rewrites', async () => {
    const writes = async (onChangeOnly: boolean, indexes?: number[]): Promise<MonitorEvent[]> => {
      const { domain, serial } = boot(join(OS, 'kernel.elf'));
      const monitor = new Monitor(domain);
      monitor.configure({ [Reason.MOV_TO_MSR]: { sync: false, onChangeOnly, ...(indexes ? { indexes } : {}) } });
      const seen: MonitorEvent[] = [];
      monitor.attach('observer', (e) => seen.push(e));
      await domain.runForever();
      checkOs(serial(), 2);
      return seen;
    };
    const written = (e: MonitorEvent): bigint => (BigInt(e.exit.msr!.value[1] >>> 0) << 32n) | BigInt(e.exit.msr!.value[0] >>> 0);
    const all = await writes(false);
    assert.ok(all.length > 0);
    // With every write reported, each write's old value is what the previous write to that MSR on that vCPU stored.
    const last = new Map<string, bigint>();
    for (const e of all) {
      const key = `${e.vcpu}:${e.exit.msr!.index}`;
      assert.notEqual(e.oldValue, undefined);
      // Except EFER.LMA, which the processor sets itself when paging turns on (SDM Vol. 3A §9.8.5).
      const mask = e.exit.msr!.index === 0xc0000080 ? ~0x400n : ~0n;
      if (last.has(key)) assert.equal(e.oldValue! & mask, last.get(key)! & mask, `MSR 0x${e.exit.msr!.index.toString(16)} on vCPU ${e.vcpu}`);
      last.set(key, written(e));
    }
    const efer = await writes(false, [0xc0000080]);
    assert.deepEqual(efer.map((e) => e.exit.msr!.index), all.filter((e) => e.exit.msr!.index === 0xc0000080).map(() => 0xc0000080), 'indexes select the MSRs reported');
    assert.ok(efer.length > 0 && efer.length < all.length);
    const changes = await writes(true);
    assert.deepEqual(changes.map((e) => e.seq), all.filter((e) => e.oldValue !== written(e)).map((_, k) => BigInt(k + 1)), 'exactly the writes that change the value');
    assert.ok(changes.every((e) => e.oldValue !== written(e)));
  });

  it("raises the #DB the svm personality re-injects for a self-stepping guest only when asked, flagged EMULATED (seed 003)", async () => {
    const debugEvents = async (includeEmulated: boolean): Promise<{ events: MonitorEvent[]; own: number }> => {
      const d = breakpointDomain(1, 'emu', 'amd');
      // pushfd; or dword [esp], TF; popfd; nop x3; pushfd; and dword [esp], ~TF; popfd; hlt (IF=0: for good)
      d.mem.writeBytes(CODE, Uint8Array.of(0x9c, 0x81, 0x0c, 0x24, 0x00, 0x01, 0, 0, 0x9d, 0x90, 0x90, 0x90, 0x9c, 0x81, 0x24, 0x24, 0xff, 0xfe, 0xff, 0xff, 0x9d, 0xf4));
      d.mem.writeBytes(DB_HANDLER, Uint8Array.of(0x46, 0xcf)); // inc esi; iretd
      d.mem.write32(IDT + 8, (0x08 << 16) | (DB_HANDLER & 0xffff)); // #DB: 32-bit interrupt gate
      d.mem.write32(IDT + 12, (DB_HANDLER & 0xffff0000) | 0x8e00);
      const monitor = new Monitor(d);
      monitor.configure({ [Reason.DEBUG_EXCEPTION]: { sync: true }, [Reason.SINGLESTEP]: { sync: true } }, { includeEmulated });
      const events: MonitorEvent[] = [];
      const controller = monitor.attach('controller', (e) => {
        if (e.reason === Reason.DEBUG_EXCEPTION) events.push(e);
        controller.reply({ seq: e.seq, action: 'reinject' });
      });
      d.vcpus[0]!.setSingleStep(true);
      assert.equal((await d.run()).kind, 'idle');
      return { events, own: d.vcpus[0]!.cpu.lo[6]! };
    };
    const optedIn = await debugEvents(true), optedOut = await debugEvents(false);
    assert.ok(optedIn.own >= 4, `the guest stepped itself ${optedIn.own} times`);
    assert.equal(optedIn.events.length, optedIn.own, 'each of its #DBs was an event');
    assert.ok(optedIn.events.every((e) => e.flags === (EventFlag.VCPU_PAUSED | EventFlag.EMULATED)));
    assert.deepEqual(optedOut.events, []);
    assert.equal(optedOut.own, optedIn.own, 'and reached the guest either way');
  });

  it('reports every interrupt and exception delivered to the demo OS, stopped at its IDT handler', async () => {
    const { domain, serial } = boot(join(OS, 'kernel.elf'));
    const monitor = new Monitor(domain);
    monitor.configure({ [Reason.INTERRUPT]: { sync: false } });
    const seen: MonitorEvent[] = [];
    monitor.attach('observer', (e) => seen.push(e));
    await domain.runForever();
    checkOs(serial(), 2);
    assert.ok(seen.length > 10, `${seen.length} deliveries`);
    const gate = (vcpu: number, vector: number): bigint => {
      const c = domain.vcpus[vcpu]!.cpu, b = c.mmu.peek(c.idtBase + vector * 16, 16)!;
      const v = new DataView(b.buffer);
      return BigInt.asUintN(64, (BigInt(v.getUint32(8, true)) << 32n) | BigInt((v.getUint16(6, true) << 16) | v.getUint16(0, true)));
    };
    for (const e of seen) assert.equal(e.regs.rip, gate(e.vcpu, e.exit.exception!.vector), `vector ${e.exit.exception!.vector} on vCPU ${e.vcpu}`);
    assert.ok(seen.some((e) => e.exit.exception!.type === 0 && e.exit.exception!.vector >= 32), 'external interrupts (the timers) among them');
    assert.equal(monitor.counters.events.get(Reason.INTERRUPT), seen.length);
  });

  it('applies step permissions to the next instruction only, then the domain\'s permissions again', async () => {
    const d = breakpointDomain(1, 'steps');
    const monitor = new Monitor(d);
    monitor.configure({ [Reason.SOFTWARE_BREAKPOINT]: { sync: true }, [Reason.MEM_ACCESS]: { sync: true } });
    const seen: MonitorEvent[] = [];
    const frame = CODE >> 12; // the int3 loop and its #BP handler share it
    const controller = monitor.attach('controller', (e) => {
      seen.push(e);
      if (seen.length === 1) controller.reply({ seq: e.seq, action: 'reinject', stepPermissions: new Map([[frame, PageAccess.R | PageAccess.W]]) });
      else if (seen.length < 4) controller.reply({ seq: e.seq, action: 'reinject' });
    });
    assert.equal((await d.run()).kind, 'paused', 'the fourth event waits');
    assert.deepEqual(seen.map((e) => e.reason), [Reason.SOFTWARE_BREAKPOINT, Reason.MEM_ACCESS, Reason.SOFTWARE_BREAKPOINT, Reason.SOFTWARE_BREAKPOINT]);
    const m = seen[1]!.exit.memAccess!;
    assert.deepEqual([m.execute, m.gpa >> 12, seen[1]!.exit.rip], [true, frame, Number(seen[1]!.regs.rip)], "the handler's first instruction could not be fetched under those permissions");
    assert.equal(d.mem.access.restricted, 0, 'the domain never had a restriction');
  });

  it('refuses a reply from an observer, and any reply after the controller detached', async () => {
    const { domain, serial } = boot(join(OS, 'kernel.elf'), 1);
    const monitor = new Monitor(domain);
    monitor.configure({ [Reason.SOFTWARE_BREAKPOINT]: { sync: true } });
    const observer = monitor.attach('observer', () => {});
    let stale: (() => void) | undefined;
    const controller = monitor.attach('controller', (e) => {
      if (!stale) {
        refusal(() => observer.reply({ seq: e.seq, action: 'drop' }), MonitorErrorCode.NOT_CONTROLLER);
        stale = () => controller.reply({ seq: e.seq, action: 'reinject' });
      }
      controller.reply({ seq: e.seq, action: 'reinject' });
    });
    await domain.runForever();
    checkOs(serial(), 1);
    controller.detach();
    refusal(stale!, MonitorErrorCode.NOT_CONTROLLER);
    assert.equal(monitor.counters.refused.get(MonitorErrorCode.NOT_CONTROLLER), 2);
  });

});
