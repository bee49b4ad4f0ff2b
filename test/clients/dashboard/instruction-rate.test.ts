/** MIPS from absolute retired-instruction counts: windows, too-short windows, restarts, forgetting. */
import assert from 'node:assert/strict';
import { InstructionRate, MIN_WINDOW_MS } from '../../../clients/dashboard/instruction-rate.js';

describe('InstructionRate', () => {
  it('is the growth over the wall time since the previous sample, in millions per second', () => {
    const r = new InstructionRate();
    assert.equal(r.has('a'), false);
    assert.equal(r.sample('a', 1_000, 5_000_000), undefined, 'the first sample only opens a window');
    assert.equal(r.has('a'), true);
    assert.equal(r.sample('a', 3_000, 25_000_000), 10, '20 M instructions in 2 s');
    assert.equal(r.sample('a', 4_000, 25_000_000), 0, 'a paused vCPU');
  });

  it('measures a sample too close to the previous one from the sample before that', () => {
    const r = new InstructionRate();
    r.sample('a', 0, 0);
    assert.equal(r.sample('a', 50, 1_000_000), 20, 'the first window, however short: better than nothing');
    assert.equal(r.sample('a', 1_000, 2_000_000), 2);
    assert.equal(r.sample('a', 1_000 + MIN_WINDOW_MS / 2, 2_100_000), 2, 'from 0 to 1050 ms');
    assert.equal(r.sample('a', 2_000, 4_000_000), 2, 'from 1000 ms, the last sample a window started at');
  });

  it('starts over when the count goes down (a new domain under the same name), and forgets keys', () => {
    const r = new InstructionRate();
    r.sample('a', 0, 1_000_000);
    assert.equal(r.sample('a', 1_000, 10), undefined);
    assert.equal(r.sample('a', 2_000, 1_000_010), 1);
    r.sample('b', 0, 0);
    r.retain((k) => k === 'b');
    assert.deepEqual([r.has('a'), r.has('b')], [false, true]);
  });
});
