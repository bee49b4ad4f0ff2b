/**
 * The monitor on the embedded transport, against the running demo OS and the
 * self-test kernel: the xen-access loop (breakpoints re-injected, single-step
 * toggled, CR3 writes observed, CPUID skipped with set registers), refused
 * replies that change nothing, and redelivery to the next controller.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MonitorError, MonitorErrorCode } from '../../src/monitor/errors.js';
import { Reason, type MonitorEvent } from '../../src/monitor/event.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { boot, checkOs, OS, xenAccessSetup, SELFTEST } from '../support/demo-os.js';

const refusal = (f: () => void, code: MonitorErrorCode): void => assert.throws(f, (e: unknown) => e instanceof MonitorError && e.code === code);

describe('monitor (embedded transport)', () => {
  it('runs the xen-access loop against the demo OS without losing an event', async () => {
    const { domain, serial, monitor } = xenAccessSetup();
    const seen: MonitorEvent[] = [], observed: bigint[] = [];
    let steps = 0, stepper = -1;
    monitor.attach('observer', (e) => observed.push(e.seq));
    const controller = monitor.attach('controller', (e) => {
      seen.push(e);
      if (e.reason === Reason.SOFTWARE_BREAKPOINT) {
        // Step the first breakpoint's vCPU for five instructions, then let it go.
        const start = stepper < 0;
        if (start) stepper = e.vcpu;
        controller.reply({ seq: e.seq, action: 'reinject', toggleSingleStep: start });
      } else if (e.reason === Reason.SINGLESTEP) {
        steps++;
        controller.reply({ seq: e.seq, action: 'reinject', toggleSingleStep: steps === 5 });
      }
    });
    const outcome = await domain.runForever();
    assert.deepEqual(outcome.kind === 'exit' ? outcome.status : outcome, 1);
    checkOs(serial(), 2);
    const bps = seen.filter((e) => e.reason === Reason.SOFTWARE_BREAKPOINT);
    assert.ok(bps.length >= 1, "the debugee's own int3 was reported, re-injected, and the debugee saw it");
    assert.equal(bps[0]!.exit.instructionLength, 1);
    assert.equal(steps, 5);
    assert.ok(seen.filter((e) => e.reason === Reason.SINGLESTEP).every((e) => e.vcpu === stepper));
    const cr3 = seen.filter((e) => e.reason === Reason.WRITE_CTRLREG && e.exit.cr?.index === 3);
    assert.ok(cr3.length > 0, 'CR3 writes (address-space switches) were observed');
    assert.deepEqual([...seen.map((e) => e.seq)].sort((a, b) => (a < b ? -1 : 1)), observed, 'the controller and the observer saw every event');
    assert.deepEqual(observed, observed.map((_, k) => BigInt(k + 1)), 'sequence numbers have no gaps');
    assert.equal(monitor.ring.occupancy, 0);
  });

  it('reports MSR writes with the value before and after, and on change only skips rewrites', async () => {
    const writes = async (onChangeOnly: boolean): Promise<MonitorEvent[]> => {
      const { domain, serial } = boot(join(OS, 'kernel.elf'));
      const monitor = new Monitor(domain);
      monitor.configure({ [Reason.MOV_TO_MSR]: { sync: false, onChangeOnly } });
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
    const changes = await writes(true);
    assert.deepEqual(changes.map((e) => e.seq), all.filter((e) => e.oldValue !== written(e)).map((_, k) => BigInt(k + 1)), 'exactly the writes that change the value');
    assert.ok(changes.every((e) => e.oldValue !== written(e)));
  });

  it('skips CPUID with set registers: the guest sees the answer', async () => {
    const { domain, serial } = boot(SELFTEST, 1);
    const monitor = new Monitor(domain);
    monitor.configure({ [Reason.CPUID]: { sync: true } });
    const controller = monitor.attach('controller', (e) => {
      const leaf = e.exit.cpuid!.leaf;
      if (leaf !== 0) return controller.reply({ seq: e.seq, action: 'reinject' });
      // Leaf 0 answered by the controller: max basic leaf 0 and a vendor of spaces.
      controller.reply({ seq: e.seq, action: 'drop', setRegisters: { gpr: { 0: 0n, 3: 0x20202020n, 1: 0x20202020n, 2: 0x20202020n } } });
    });
    await domain.runForever();
    assert.match(serial(), /selftest: cpuid-vendor: FAIL/);
    assert.match(serial(), /selftest: cpuid-features: ok/);
  });

  it('refuses bad replies and a second controller, changing nothing', async () => {
    const { domain, serial } = boot(join(OS, 'kernel.elf'), 1);
    const monitor = new Monitor(domain);
    monitor.configure({ [Reason.SOFTWARE_BREAKPOINT]: { sync: true } });
    let checked = false;
    const observer = monitor.attach('observer', () => {});
    const controller = monitor.attach('controller', (e) => {
      if (!checked) {
        checked = true;
        refusal(() => monitor.attach('controller', () => {}), MonitorErrorCode.BUSY);
        refusal(() => controller.reply({ seq: e.seq + 1000n, action: 'reinject' }), MonitorErrorCode.UNKNOWN_EVENT);
        refusal(() => controller.reply({ seq: e.seq }), MonitorErrorCode.INVALID_REPLY);
        refusal(() => observer.reply({ seq: e.seq, action: 'drop' }), MonitorErrorCode.NOT_CONTROLLER);
        controller.reply({ seq: e.seq, action: 'reinject' });
        refusal(() => controller.reply({ seq: e.seq, action: 'reinject' }), MonitorErrorCode.ALREADY_ANSWERED);
        return;
      }
      controller.reply({ seq: e.seq, action: 'reinject' });
    });
    await domain.runForever();
    checkOs(serial(), 1);
    assert.equal(monitor.counters.refused.get(MonitorErrorCode.INVALID_REPLY), 1);
    assert.equal(monitor.counters.refused.get(MonitorErrorCode.ALREADY_ANSWERED), 1);
  });

  it('keeps the vCPU paused when the controller goes, and redelivers to the next one', async () => {
    const { domain, serial } = boot(join(OS, 'kernel.elf'), 1);
    const monitor = new Monitor(domain);
    monitor.configure({ [Reason.SOFTWARE_BREAKPOINT]: { sync: true } });
    let first: MonitorEvent | undefined;
    const gone = monitor.attach('controller', (e) => { first ??= e; queueMicrotask(() => gone.detach()); });
    const o = await domain.run();
    assert.equal(o.kind, 'paused', 'the vCPU waits for an answer nobody gave');
    assert.ok(domain.vcpus[0]!.pendingExit);
    const again: MonitorEvent[] = [];
    const next = monitor.attach('controller', (e) => { again.push(e); next.reply({ seq: e.seq, action: 'reinject' }); });
    await domain.runForever();
    assert.equal(again[0]!.seq, first!.seq, 'the unanswered event came first');
    checkOs(serial(), 1);
  });
});
