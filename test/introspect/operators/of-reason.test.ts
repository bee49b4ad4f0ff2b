/** ofReason: keeps the given reasons only, and narrows the stream's type to them. */
import assert from 'node:assert/strict';
import { map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { VmiEvent } from '../../../src/introspect/event.js';
import { ofReason } from '../../../src/introspect/operators/of-reason.js';
import { vmiEvent } from '../../support/vmi-events.js';

const bp = vmiEvent({ reason: 'softwareBreakpoint', seq: 1, rip: 0x1000 });
const mem = vmiEvent({ reason: 'memAccess', seq: 2, gla: 0x2000 });
const cpuid = vmiEvent({ reason: 'cpuid', seq: 3 });
const step = vmiEvent({ reason: 'singleStep', seq: 4 });
const values: Record<string, VmiEvent> = { b: bp, m: mem, c: cpuid, s: step };

describe('ofReason', () => {
  let ts: TestScheduler;
  beforeEach(() => {
    ts = new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
  });

  it('keeps only events of the one reason given, in order and on their frames', () => {
    ts.run(({ cold, expectObservable }) => {
      const src = cold<VmiEvent>('b-m-c-m-s|', values);
      expectObservable(src.pipe(ofReason('memAccess'))).toBe('--m---m--|', { m: mem });
    });
  });

  it('keeps events of any of several reasons', () => {
    ts.run(({ cold, expectObservable }) => {
      const src = cold<VmiEvent>('b-m-c-s|', values);
      expectObservable(src.pipe(ofReason('cpuid', 'softwareBreakpoint'))).toBe('b---c--|', { b: bp, c: cpuid });
    });
  });

  it('passes nothing when given no reasons, but still completes', () => {
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<VmiEvent>('bmcs|', values).pipe(ofReason())).toBe('----|');
    });
  });

  it('passes errors through', () => {
    ts.run(({ cold, expectObservable }) => {
      const err = new Error('gone');
      expectObservable(cold<VmiEvent>('m-#', values, err).pipe(ofReason('memAccess'))).toBe('m-#', { m: mem }, err);
    });
  });

  it('narrows data to the reason\'s message', () => {
    ts.run(({ cold, expectObservable }) => {
      const src = cold<VmiEvent>('bm|', values);
      // `write` exists on MemoryAccess only: this line compiles because of the narrowing.
      const narrowed: Observable<VmiEvent<'memAccess'>> = src.pipe(ofReason('memAccess'));
      expectObservable(narrowed.pipe(map((e) => [e.reason, e.data.gla, e.data.write] as const))).toBe('-x|', { x: ['memAccess', 0x2000n, false] });
      // @ts-expect-error a memAccess stream is not a cpuid stream
      const wrong: Observable<VmiEvent<'cpuid'>> = src.pipe(ofReason('memAccess'));
      void wrong;
      // Two reasons give the discriminated union of both.
      const both: Observable<VmiEvent<'memAccess' | 'cpuid'>> = src.pipe(ofReason('memAccess', 'cpuid'));
      void both;
    });
  });
});
