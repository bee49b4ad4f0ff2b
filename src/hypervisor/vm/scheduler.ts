/**
 * Deterministic scheduling of a domain's vCPUs in one thread.
 *
 * Time advances in rounds of `quantum` ticks. In a round every vCPU that is
 * not paused or crashed covers the same span of virtual time: a running vCPU
 * retires instructions, a halted one idles, and either stops at its timer
 * deadlines on the way so that timer interrupts land at exact times. So the
 * interleaving depends only on instruction counts, never on wall time (DESIGN
 * "The run loop"). When nothing runs, time jumps to the next deadline.
 */
import { StopReason } from '../cpu/cpu.js';
import type { Deadline } from '../devices/interrupts.js';
import { Vcpu, VcpuState } from '../vcpu/vcpu.js';

export interface Schedulable {
  vcpu: Vcpu;
  /** The vCPU's timers (its local APIC), if any. */
  timer: Deadline | undefined;
}

export const RoundResult = {
  /** The round ran; call again. */
  RAN: 0,
  /** Every vCPU is halted with nothing that could ever wake it. */
  IDLE: 1,
  /** Something asked the domain to stop (a device, a pause, a crash). */
  STOPPED: 2,
  /** Nothing is schedulable: all paused or crashed. */
  NOTHING: 3,
} as const;
export type RoundResult = (typeof RoundResult)[keyof typeof RoundResult];

export class Scheduler {
  /** Domain virtual time at the end of the last round. */
  time = 0;
  /** Set by devices and controls to end the current round early. */
  stopRequested = false;

  constructor(private readonly cpus: Schedulable[], readonly quantum = 20_000) {}

  private live(): Schedulable[] {
    return this.cpus.filter((s) => !s.vcpu.paused && s.vcpu.state !== VcpuState.CRASHED);
  }

  /** Run one round, no longer than `maxTicks` (so that instruction limits are met exactly on one vCPU). */
  round(maxTicks = Infinity): RoundResult {
    const live = this.live();
    if (live.length === 0) return RoundResult.NOTHING;
    let end = this.time + Math.max(1, Math.min(this.quantum, maxTicks));
    if (!live.some((s) => s.vcpu.state === VcpuState.RUNNING)) {
      // Nobody runs: skip straight to the first timer that could wake someone.
      const next = Math.min(...live.map((s) => s.timer?.nextDeadline() ?? Infinity));
      if (next === Infinity) return RoundResult.IDLE;
      end = Math.max(end, next);
    }
    for (const s of live) {
      this.advance(s, end);
      if (this.stopRequested) break;
    }
    this.time = end;
    if (this.stopRequested) { this.stopRequested = false; return RoundResult.STOPPED; }
    return RoundResult.RAN;
  }

  /** Bring one vCPU's clock up to `end`, running or idling, firing its timers on the way. */
  private advance(s: Schedulable, end: number): void {
    const v = s.vcpu, c = v.cpu;
    while (v.now() < end && !this.stopRequested && !v.paused) {
      if (s.timer && v.now() >= s.timer.nextDeadline()) {
        s.timer.expire(v.now());
        if (v.state === VcpuState.HALTED && v.wakeable()) v.state = VcpuState.RUNNING;
      }
      const until = Math.min(end, s.timer?.nextDeadline() ?? Infinity);
      if (until <= v.now()) return; // a timer that does not move on: leave the rest of the round
      const state: VcpuState = v.state;
      if (state === VcpuState.RUNNING) {
        c.run(until - v.now());
        v.settle();
        if (c.stopReason === StopReason.REQUEST) this.stopRequested = true;
        if (v.state === VcpuState.CRASHED) { this.stopRequested = true; return; }
      } else if (state === VcpuState.HALTED || state === VcpuState.WAIT_SIPI) {
        c.idleTicks += until - v.now();
      } else {
        return;
      }
    }
  }
}
