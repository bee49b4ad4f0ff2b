/**
 * The local APIC timer's counter (SDM Vol. 3A §10.5.4): one-shot and periodic
 * modes, the divide configuration register, and the current count derived
 * from virtual time, so that reading it twice at the same instruction count
 * gives the same answer.
 *
 * Frequency: the timer's input clock is the vCPU's virtual clock, one tick per
 * retired instruction or halted tick, so the counter decrements once every
 * `divide` virtual ticks. Guests calibrate it against the PIT or the TSC; a
 * fixed ratio to virtual time is what keeps runs deterministic.
 *
 * TSC-deadline mode (LVT timer bits 18:17 = 10) is not implemented: CPUID.01H:
 * ECX[24] stays clear, so bit 18 is reserved and the local APIC masks it.
 */
import type { VirtualClock } from './interrupts.js';

/** Divide configuration bits 0, 1 and 3 (SDM Vol. 3A figure 10-10): 2, 4, ..., 128, then 1 for 111b. */
export function decodeDivide(dcr: number): number {
  const v = ((dcr >>> 1) & 4) | (dcr & 3);
  return v === 7 ? 1 : 2 << v;
}

export class ApicTimer {
  /** The initial-count register. */
  initial = 0;
  /** Divide configuration register as written (bits 0, 1, 3). */
  dcr = 0;
  periodic = false;
  private divide = 2;
  /** Counting down: false before the first load, after a one-shot reached zero, or when stopped. */
  private armed = false;
  /** Virtual time at which the count reaches zero next. */
  private fireAt = Infinity;

  constructor(private readonly clock: VirtualClock) {}

  reset(): void {
    this.initial = 0;
    this.dcr = 0;
    this.divide = 2;
    this.periodic = false;
    this.armed = false;
    this.fireAt = Infinity;
  }

  /** A write to the initial-count register restarts the count; 0 stops the timer (§10.5.4). */
  load(count: number): void {
    this.initial = count >>> 0;
    this.armed = this.initial !== 0;
    this.fireAt = this.armed ? this.clock.now() + this.period() : Infinity;
  }

  /** A new divide value applies to the rest of the current count. */
  setDivide(dcr: number): void {
    const divide = decodeDivide(dcr);
    this.dcr = dcr & 0xb;
    if (divide === this.divide) return;
    if (this.armed) {
      const now = this.clock.now();
      const left = this.remaining(now);
      this.fireAt = now + Math.ceil((left * divide) / this.divide);
    }
    this.divide = divide;
  }

  /**
   * Switching between one-shot and periodic does not restart the count
   * (SDM §10.5.4); a one-shot count that already reached zero stays stopped.
   */
  setPeriodic(periodic: boolean): void {
    if (periodic === this.periodic) return;
    if (this.armed && this.periodic) {
      // Bring the deadline to the current period before periodic reloads stop.
      const now = this.clock.now();
      this.fireAt = now + this.remaining(now);
    }
    this.periodic = periodic;
  }

  /** The current-count register. */
  current(): number {
    if (!this.armed) return 0;
    return Math.ceil(this.remaining(this.clock.now()) / this.divide);
  }

  nextDeadline(): number {
    return this.armed ? this.fireAt : Infinity;
  }

  /**
   * Advance past `now`. Returns true when the count reached zero at least once
   * (periods missed while the vCPU did not call in coalesce: the IRR has one bit).
   */
  expire(now: number): boolean {
    if (!this.armed || now < this.fireAt) return false;
    if (this.periodic) {
      const p = this.period();
      this.fireAt += (Math.floor((now - this.fireAt) / p) + 1) * p;
    } else {
      this.armed = false;
      this.fireAt = Infinity;
    }
    return true;
  }

  private period(): number {
    return this.initial * this.divide;
  }

  /** Virtual ticks until the count reaches zero, with periodic reloads applied lazily. */
  private remaining(now: number): number {
    const left = this.fireAt - now;
    if (left > 0 || !this.periodic) return Math.max(0, left);
    const p = this.period();
    return p + (left % p);
  }
}
