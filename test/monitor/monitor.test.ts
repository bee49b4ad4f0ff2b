/**
 * The monitor itself, in-process, against the running demo OS: what the
 * conformance suite (conformance.test.ts, both transports) does not cover —
 * MSR writes with their old values, on change only — and the Session API's
 * own refusals (an observer replying).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MonitorError, MonitorErrorCode } from '../../src/monitor/errors.js';
import { Reason, type MonitorEvent } from '../../src/monitor/event.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { boot, checkOs, OS } from '../support/demo-os.js';

const refusal = (f: () => void, code: MonitorErrorCode): void => assert.throws(f, (e: unknown) => e instanceof MonitorError && e.code === code);

describe('monitor (in-process API)', () => {
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
