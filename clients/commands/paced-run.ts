/**
 * Run an embedded domain for its clients (waiting through pauses, as
 * `Domain.runForever` does), optionally no faster than N million
 * instructions per second of wall time. The demo OS runs to its end in a
 * couple of seconds on this emulator: too fast to watch on a dashboard or to
 * click "pause" in. Pacing changes nothing the guest can see (its time is its
 * retired instructions); it only spreads the same run over more wall time.
 */
import type { Domain, RunOutcome } from '../../src/hypervisor/vm/domain.js';

/** Wall time per paced slice: short enough that a pause or a reply is served at once. */
const SLICE_MS = 50;

export interface PacedRun {
  /** Settles when the guest ends (exit, idle for good, crash), or after stop(). */
  readonly done: Promise<Exclude<RunOutcome, { kind: 'paused' }> | { kind: 'stopped'; instructions: number }>;
  /** Stop after the current slice (a paced run only; an unpaced one runs to its end). */
  stop(): void;
}

/** Run until the guest ends, or `limit` retired instructions (then the outcome is 'limit'). */
export function runPaced(domain: Domain, mips?: number, limit = Infinity): PacedRun {
  if (mips === undefined) return { done: domain.runForever(limit), stop: () => {} };
  if (!(mips > 0)) throw new RangeError(`the pace must be a positive number of MIPS, got ${mips}`);
  let stopped = false;
  const slice = Math.max(1, Math.round((mips * 1e6 * SLICE_MS) / 1000));
  const done = (async () => {
    while (!stopped) {
      const began = performance.now();
      const o = await domain.runForever(Math.min(domain.instructions + slice, limit));
      if (o.kind !== 'limit' || domain.instructions >= limit) return o;
      const left = SLICE_MS - (performance.now() - began);
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
    }
    return { kind: 'stopped' as const, instructions: domain.instructions };
  })();
  return { done, stop: () => { stopped = true; } };
}
