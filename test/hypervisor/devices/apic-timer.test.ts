/**
 * The local APIC timer (SDM Vol. 3A §10.5.4) on virtual time: one timer tick
 * per `divide` virtual ticks, one-shot and periodic, masking, reloads.
 */
import assert from 'node:assert/strict';
import { ApicReg } from '../../../src/hypervisor/devices/apic-regs.js';
import { decodeDivide } from '../../../src/hypervisor/devices/apic-timer.js';
import type { LocalApic } from '../../../src/hypervisor/devices/local-apic.js';
import { cpus, type FakeClock } from './fakes.js';

const VEC = 0xec;
const PERIODIC = 1 << 17, MASKED = 1 << 16;

function timer(): { apic: LocalApic; clock: FakeClock } {
  const c = cpus(1);
  return { apic: c.apics[0]!, clock: c.clock };
}
const rd = (a: LocalApic, off: number): number => a.mmioRead(off, 4);
const wr = (a: LocalApic, off: number, v: number): void => a.mmioWrite(off, 4, v);

/** What the domain does: run expire() whenever virtual time reaches the next deadline. */
function advance(a: LocalApic, clock: FakeClock, to: number): void {
  while (a.nextDeadline() <= to) {
    clock.t = a.nextDeadline();
    a.expire(clock.t);
  }
  clock.t = to;
}

describe('LocalApic timer', () => {
  it('decodes the divide configuration register (SDM figure 10-10)', () => {
    const table: Array<[number, number]> = [[0, 2], [1, 4], [2, 8], [3, 16], [8, 32], [9, 64], [10, 128], [11, 1]];
    for (const [dcr, div] of table) assert.equal(decodeDivide(dcr), div, `DCR ${dcr}`);
  });

  it('counts down once per `divide` virtual ticks in one-shot mode and fires once', () => {
    const { apic, clock } = timer();
    wr(apic, ApicReg.TIMER_DIVIDE, 3); // divide by 16
    wr(apic, ApicReg.LVT_TIMER, VEC);
    wr(apic, ApicReg.TIMER_INITIAL, 100);
    assert.equal(rd(apic, ApicReg.TIMER_CURRENT), 100);
    clock.t = 15;
    assert.equal(rd(apic, ApicReg.TIMER_CURRENT), 100);
    clock.t = 16;
    assert.equal(rd(apic, ApicReg.TIMER_CURRENT), 99);
    assert.equal(apic.nextDeadline(), 1600);
    apic.expire(1599);
    assert.equal(apic.pendingVector(), -1, 'not yet');
    clock.t = 1600;
    apic.expire(1600);
    assert.equal(apic.pendingVector(), VEC);
    assert.equal(rd(apic, ApicReg.TIMER_CURRENT), 0);
    assert.equal(apic.nextDeadline(), Infinity);
    assert.equal(rd(apic, ApicReg.TIMER_INITIAL), 100, 'initial count is kept');
  });

  it('reloads in periodic mode, and missed periods coalesce into one interrupt', () => {
    const { apic, clock } = timer();
    wr(apic, ApicReg.TIMER_DIVIDE, 0xb); // divide by 1
    wr(apic, ApicReg.LVT_TIMER, VEC | PERIODIC);
    wr(apic, ApicReg.TIMER_INITIAL, 10);
    clock.t = 15;
    assert.equal(rd(apic, ApicReg.TIMER_CURRENT), 5, 'the count wraps lazily before expire runs');
    assert.equal(apic.nextDeadline(), 10);
    apic.expire(15);
    assert.ok(apic.irrBit(VEC));
    assert.equal(apic.nextDeadline(), 20);
    apic.acknowledge(VEC);
    wr(apic, ApicReg.EOI, 0);
    apic.expire(55);
    assert.equal(apic.nextDeadline(), 60);
    assert.ok(apic.irrBit(VEC));
  });

  it('fires every period when driven by deadlines', () => {
    const { apic, clock } = timer();
    wr(apic, ApicReg.TIMER_DIVIDE, 0); // divide by 2
    wr(apic, ApicReg.LVT_TIMER, VEC | PERIODIC);
    wr(apic, ApicReg.TIMER_INITIAL, 50); // a period of 100 virtual ticks
    let fired = 0;
    for (let t = 100; t <= 1000; t += 100) {
      advance(apic, clock, t);
      if (apic.pendingVector() === VEC) { fired++; apic.acknowledge(VEC); wr(apic, ApicReg.EOI, 0); }
    }
    assert.equal(fired, 10);
  });

  it('stops when the initial count is written with 0', () => {
    const { apic, clock } = timer();
    wr(apic, ApicReg.LVT_TIMER, VEC | PERIODIC);
    wr(apic, ApicReg.TIMER_INITIAL, 10);
    clock.t = 4;
    wr(apic, ApicReg.TIMER_INITIAL, 0);
    assert.equal(apic.nextDeadline(), Infinity);
    assert.equal(rd(apic, ApicReg.TIMER_CURRENT), 0);
  });

  it('restarts the count on every initial-count write', () => {
    const { apic, clock } = timer();
    wr(apic, ApicReg.LVT_TIMER, VEC);
    wr(apic, ApicReg.TIMER_INITIAL, 10);
    clock.t = 15;
    wr(apic, ApicReg.TIMER_INITIAL, 10);
    assert.equal(apic.nextDeadline(), 35);
  });

  it('keeps counting while masked, but a zero crossing while masked is not delivered on unmask', () => {
    const { apic, clock } = timer();
    wr(apic, ApicReg.LVT_TIMER, VEC | MASKED);
    wr(apic, ApicReg.TIMER_INITIAL, 10);
    assert.equal(apic.nextDeadline(), Infinity, 'nothing to deliver while masked');
    clock.t = 6;
    assert.equal(rd(apic, ApicReg.TIMER_CURRENT), 7);
    clock.t = 30;
    wr(apic, ApicReg.LVT_TIMER, VEC);
    assert.equal(apic.nextDeadline(), Infinity, 'the one-shot count already reached zero');
    apic.expire(30);
    assert.equal(apic.pendingVector(), -1);
  });

  it('applies a new divide value to the rest of the count', () => {
    const { apic, clock } = timer();
    wr(apic, ApicReg.TIMER_DIVIDE, 0); // 2
    wr(apic, ApicReg.LVT_TIMER, VEC);
    wr(apic, ApicReg.TIMER_INITIAL, 100);
    clock.t = 100; // 50 counts left
    wr(apic, ApicReg.TIMER_DIVIDE, 1); // 4
    assert.equal(rd(apic, ApicReg.TIMER_CURRENT), 50);
    assert.equal(apic.nextDeadline(), 300);
  });

  it('switches periodic to one-shot without restarting the count (SDM §10.5.4)', () => {
    const { apic, clock } = timer();
    wr(apic, ApicReg.TIMER_DIVIDE, 0xb);
    wr(apic, ApicReg.LVT_TIMER, VEC | PERIODIC);
    wr(apic, ApicReg.TIMER_INITIAL, 10);
    clock.t = 23; // two periods passed without expire: 7 left in the third
    wr(apic, ApicReg.LVT_TIMER, VEC);
    assert.equal(rd(apic, ApicReg.TIMER_CURRENT), 7);
    assert.equal(apic.nextDeadline(), 30);
    apic.expire(30);
    assert.equal(apic.nextDeadline(), Infinity);
  });

  it('is a deterministic function of virtual time', () => {
    const run = (): number[] => {
      const { apic, clock } = timer();
      wr(apic, ApicReg.TIMER_DIVIDE, 1);
      wr(apic, ApicReg.LVT_TIMER, VEC | PERIODIC);
      wr(apic, ApicReg.TIMER_INITIAL, 37);
      const seen: number[] = [];
      for (let t = 0; t < 2000; t += 97) { advance(apic, clock, t); seen.push(rd(apic, ApicReg.TIMER_CURRENT)); }
      return seen;
    };
    assert.deepEqual(run(), run());
  });
});
