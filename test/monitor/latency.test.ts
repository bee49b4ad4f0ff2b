/** The reply-latency histogram's bookkeeping: Prometheus's `le` buckets, kept cumulative on demand. */
import assert from 'node:assert/strict';
import { LatencyHistogram, REPLY_LATENCY_BOUNDS_US } from '../../src/monitor/latency.js';

describe('LatencyHistogram', () => {
  it('counts each observation in the first bucket whose bound is at least it, and cumulates', () => {
    const h = new LatencyHistogram([10, 100, 1000]);
    for (const us of [1, 10, 10.5, 99, 1000, 5000]) h.observe(us);
    assert.deepEqual(h.cumulative(), [2, 4, 5], 'a bound includes itself; 5000 is only in +Inf');
    assert.equal(h.count, 6);
    assert.equal(h.sumUs, 1 + 10 + 10.5 + 99 + 1000 + 5000);
  });

  it('starts empty with the default bounds, ascending from 10 µs to 10 s', () => {
    const h = new LatencyHistogram();
    assert.deepEqual(h.boundsUs, REPLY_LATENCY_BOUNDS_US);
    assert.deepEqual([REPLY_LATENCY_BOUNDS_US[0], REPLY_LATENCY_BOUNDS_US.at(-1)], [10, 10_000_000]);
    assert.ok(h.cumulative().every((c) => c === 0));
    assert.equal(h.count, 0);
  });

  it('refuses bounds that are not positive and ascending', () => {
    assert.throws(() => new LatencyHistogram([10, 10]), RangeError);
    assert.throws(() => new LatencyHistogram([0, 10]), RangeError);
    assert.throws(() => new LatencyHistogram([100, 10]), RangeError);
  });
});
