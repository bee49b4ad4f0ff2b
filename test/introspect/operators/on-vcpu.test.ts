/** onVcpu: keeps the events of the given vCPUs only. */
import assert from 'node:assert/strict';
import type { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { VmiEvent } from '../../../src/introspect/event.js';
import { ofReason } from '../../../src/introspect/operators/of-reason.js';
import { onVcpu } from '../../../src/introspect/operators/on-vcpu.js';
import { vmiEvent } from '../../support/vmi-events.js';

const ev = (vcpu: number, seq: number): VmiEvent => vmiEvent({ vcpu, seq });
const values = { a: ev(0, 1), b: ev(1, 2), c: ev(2, 3), d: ev(3, 4), e: ev(0, 5), f: ev(2, 6) };

describe('onVcpu', () => {
  let ts: TestScheduler;
  beforeEach(() => {
    ts = new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
  });

  it('keeps one vCPU\'s events out of an interleaving', () => {
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('abcdef|', values).pipe(onVcpu(2))).toBe('--c--f|', values);
    });
  });

  it('keeps several vCPUs\' events', () => {
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('abcdef|', values).pipe(onVcpu(0, 3))).toBe('a--de-|', values);
    });
  });

  it('passes nothing for a vCPU that raised nothing, or for no vCPUs', () => {
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('abcdef|', values).pipe(onVcpu(7))).toBe('------|');
      expectObservable(cold('abcdef|', values).pipe(onVcpu())).toBe('------|');
    });
  });

  it('keeps a narrowed stream\'s type', () => {
    ts.run(({ cold, expectObservable }) => {
      const m0 = vmiEvent({ reason: 'memAccess', vcpu: 0, gla: 0x10 });
      const m1 = vmiEvent({ reason: 'memAccess', vcpu: 1, gla: 0x20 });
      const out: Observable<VmiEvent<'memAccess'>> = cold<VmiEvent>('xyz|', { x: m0, y: values.b, z: m1 }).pipe(ofReason('memAccess'), onVcpu(1));
      expectObservable(out).toBe('--z|', { z: m1 });
    });
  });
});
