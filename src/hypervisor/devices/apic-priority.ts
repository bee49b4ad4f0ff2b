/**
 * A local APIC's interrupt acceptance state (SDM Vol. 3A §10.8): the 256-bit
 * IRR, ISR and TMR, the task priority, and the processor priority derived
 * from them, which decide what the CPU may take next.
 */

const test = (r: Uint32Array, v: number): boolean => (r[v >>> 5]! & (1 << (v & 31))) !== 0;
function set(r: Uint32Array, v: number, on: boolean): void {
  if (on) r[v >>> 5]! |= 1 << (v & 31);
  else r[v >>> 5]! &= ~(1 << (v & 31));
}
/** The highest set vector, or -1. */
function highest(r: Uint32Array): number {
  for (let w = 7; w >= 0; w--) {
    const x = r[w]!;
    if (x !== 0) return (w << 5) + 31 - Math.clz32(x);
  }
  return -1;
}

export class ApicPriority {
  /** Requests the local APIC accepted and the CPU has not taken yet. */
  readonly irr = new Uint32Array(8);
  /** Interrupts the CPU took and has not EOIed, nested by priority. */
  readonly isr = new Uint32Array(8);
  /** Trigger mode of each accepted vector: 1 = level (EOI is broadcast). */
  readonly tmr = new Uint32Array(8);
  /** TPR bits 7:0. */
  tpr = 0;

  clear(): void {
    this.irr.fill(0); this.isr.fill(0); this.tmr.fill(0);
    this.tpr = 0;
  }

  inIrr(v: number): boolean { return test(this.irr, v); }
  inIsr(v: number): boolean { return test(this.isr, v); }
  isLevel(v: number): boolean { return test(this.tmr, v); }

  /** Accept a fixed interrupt: IRR, and TMR per its trigger mode (§10.8.4). */
  request(v: number, level: boolean): void {
    set(this.irr, v, true);
    set(this.tmr, v, level);
  }

  /** PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] << 4 (§10.8.3.1). */
  get ppr(): number {
    const isrv = Math.max(highest(this.isr), 0) & 0xf0;
    return (this.tpr & 0xf0) >= isrv ? this.tpr : isrv;
  }

  /** The highest IRR vector whose priority class is above PPR's, or -1 (§10.8.3.1). */
  deliverable(): number {
    const v = highest(this.irr);
    return v >= 0 && (v & 0xf0) > (this.ppr & 0xf0) ? v : -1;
  }

  /** The CPU takes `v`: IRR to ISR (§10.8.4). */
  acknowledge(v: number): void {
    set(this.irr, v, false);
    set(this.isr, v, true);
  }

  /** EOI: retire the highest ISR bit and return its vector, or -1 when nothing is in service (§10.8.5). */
  eoi(): number {
    const v = highest(this.isr);
    if (v >= 0) set(this.isr, v, false);
    return v;
  }

  /** 32-bit word `word` (0-7) of the register at ISR (0), TMR (1) or IRR (2). */
  word(reg: 0 | 1 | 2, word: number): number {
    return [this.isr, this.tmr, this.irr][reg]![word & 7]!;
  }
}
