/** withinRange: keeps events whose address is in [start, end). */
import assert from 'node:assert/strict';
import type { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { VmiEvent } from '../../../src/introspect/event.js';
import { ofReason } from '../../../src/introspect/operators/of-reason.js';
import { withinRange } from '../../../src/introspect/operators/within-range.js';
import { vmiEvent } from '../../support/vmi-events.js';

const at = (rip: bigint): VmiEvent => vmiEvent({ rip, seq: rip });
const START = 0xffffffff80104f00n, END = 0xffffffff80105000n;

describe('withinRange', () => {
  let ts: TestScheduler;
  beforeEach(() => {
    ts = new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
  });

  it('is half-open: start is in, end - 1 is in, end is out, start - 1 is out', () => {
    const v = { a: at(START - 1n), b: at(START), c: at(START + 0x83n), d: at(END - 1n), e: at(END), f: at(0n) };
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('abcdef|', v).pipe(withinRange(START, END))).toBe('-bcd--|', v);
    });
  });

  it('reaches the top of the 64-bit address space', () => {
    const top = at(0xffffffffffffffffn);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('t|', { t: top }).pipe(withinRange(0xfffffffffffff000n, 1n << 64n))).toBe('t|', { t: top });
    });
  });

  it('uses a mem-access event\'s gla rather than its RIP, and RIP when it has no gla', () => {
    const inside = vmiEvent({ reason: 'memAccess', rip: 0x400000, gla: START + 8n });
    const ripOnly = vmiEvent({ reason: 'memAccess', rip: START + 16n, seq: 2 });
    const outside = vmiEvent({ reason: 'memAccess', rip: START, gla: 0x400000, seq: 3 });
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<VmiEvent>('abc|', { a: inside, b: ripOnly, c: outside }).pipe(withinRange(START, END)))
        .toBe('ab-|', { a: inside, b: ripOnly });
    });
  });

  it('start === end is the empty range', () => {
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('ab|', { a: at(START), b: at(START + 1n) }).pipe(withinRange(START, START))).toBe('--|');
    });
  });

  it('throws RangeError when called with end < start, before any subscription', () => {
    assert.throws(() => withinRange(END, START), RangeError);
  });

  it('keeps a narrowed stream\'s type', () => {
    const m = vmiEvent({ reason: 'memAccess', gla: START });
    ts.run(({ cold, expectObservable }) => {
      const out: Observable<VmiEvent<'memAccess'>> = cold<VmiEvent>('bm|', { b: at(START), m }).pipe(ofReason('memAccess'), withinRange(START, END));
      expectObservable(out).toBe('-m|', { m });
    });
  });
});
