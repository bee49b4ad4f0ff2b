/** Resume packets as per-vCPU plans (gdb manual, "Packets": vCont; the leftmost matching action wins). */
import assert from 'node:assert/strict';
import { parseResume, ResumeError } from '../../src/gdbsx/vcont.js';

const plan = (p: string, vcpus = 4, hc = 0): Array<[number, string]> => [...parseResume(p, vcpus, hc)].sort(([a], [b]) => a - b);

describe('gdbsx resume plans', () => {
  it('continues every vCPU for c and vCont;c, and steps the Hc vCPU alone for s', () => {
    assert.deepEqual(plan('c'), [[0, 'c'], [1, 'c'], [2, 'c'], [3, 'c']]);
    assert.deepEqual(plan('vCont;c'), plan('c'));
    assert.deepEqual(plan('vCont;c:-1'), plan('c'));
    assert.deepEqual(plan('s', 4, 2), [[2, 's']]);
  });

  it("steps only the named thread for gdb's step-over, and holds the others", () => {
    assert.deepEqual(plan('vCont;s:2'), [[1, 's']]);
    assert.deepEqual(plan('vCont;c:3'), [[2, 'c']], 'scheduler-locking on: continue one thread');
  });

  it('applies the leftmost action that names a thread, the default to the rest', () => {
    assert.deepEqual(plan('vCont;s:2;c'), [[0, 'c'], [1, 's'], [2, 'c'], [3, 'c']]);
    assert.deepEqual(plan('vCont;c;s:2'), plan('c'), 'the default came first, so it wins for thread 2');
    assert.deepEqual(plan('vCont;S05:1;C0b'), [[0, 's'], [1, 'c'], [2, 'c'], [3, 'c']], 'signals mean nothing to a vCPU');
  });

  it('refuses unknown actions, threads that are not vCPUs and malformed signals', () => {
    for (const p of ['vCont;t', 'vCont;r1,2:1', 'vCont;s:5', 'vCont;s:0', 'vCont;c:zz', 'vCont;C', 'vCont;s5', 'vCont;', 'x']) {
      assert.throws(() => parseResume(p, 4, 0), ResumeError, p);
    }
  });
});
