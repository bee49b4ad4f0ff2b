/**
 * Segment and gate descriptors (SDM Vol. 3A §3.4.5, §3.5, §6.11, §6.14.1).
 *
 * A descriptor's attributes are kept in the layout VMX uses for its segment
 * "access rights" (SDM Vol. 3C §24.4.1): bits 0-7 are type, S, DPL and P;
 * bits 12-15 are AVL, L, D/B and G. That is descriptor bits 40-47 and 52-55.
 */
import type { Cpu } from './cpu.js';
import { GuestFault, Vector } from './fault.js';
import { TWO32 } from './regs.js';

export const Attr = {
  TYPE: 0x0f, ACCESSED: 0x01, S: 0x10, DPL_SHIFT: 5, DPL: 0x60, P: 0x80,
  AVL: 0x1000, L: 0x2000, DB: 0x4000, G: 0x8000,
  /** Code segment: type bit 3; readable/conforming: bits 1 and 2. Data: writable bit 1, expand-down bit 2. */
  CODE: 0x08, RW: 0x02, CONFORMING_OR_DOWN: 0x04,
} as const;

/** System descriptor types (S = 0), SDM Vol. 3A table 3-2. */
export const SysType = { LDT: 2, TSS16_AVAIL: 1, TSS_AVAIL: 9, TSS_BUSY: 11, CALL_GATE: 12, INTR_GATE16: 6, TRAP_GATE16: 7, INTR_GATE: 14, TRAP_GATE: 15, TASK_GATE: 5 } as const;

export interface Descriptor {
  base: number;
  /** Limit in bytes (granularity applied). */
  limit: number;
  attr: number;
}

export const dpl = (attr: number): number => (attr >> 5) & 3;
export const isCode = (attr: number): boolean => (attr & (Attr.S | Attr.CODE)) === (Attr.S | Attr.CODE);
export const isData = (attr: number): boolean => (attr & (Attr.S | Attr.CODE)) === Attr.S;

/** Decode an 8-byte descriptor from its two dwords. */
export function decodeDescriptor(lo: number, hi: number): Descriptor {
  const attr = (hi >>> 8) & 0xf0ff;
  let limit = (lo & 0xffff) | (hi & 0x000f0000);
  if (attr & Attr.G) limit = limit * 4096 + 0xfff;
  const base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
  return { base, limit: limit >>> 0, attr };
}

/**
 * Read descriptor `sel` from the GDT or LDT with supervisor privilege (an
 * "implicit" access, SDM Vol. 3A §5.5). `fault` is the vector raised, with the
 * selector as error code, when the index lies outside the table.
 */
export function readDescriptor(c: Cpu, sel: number, fault: number = Vector.GP): { d: Descriptor; lo: number; hi: number; at: number } {
  const [base, limit] = (sel & 4) ? [c.ldtBase, c.ldtLimit] : [c.gdtBase, c.gdtLimit];
  const index = sel & ~7;
  if ((sel & 4) && c.ldtSel === 0) throw new GuestFault(fault, sel & 0xfffc);
  if (index + 7 > limit) throw new GuestFault(fault, sel & 0xfffc);
  const at = base + index;
  const lo = c.mmu.readSupervisor32(at), hi = c.mmu.readSupervisor32(at + 4);
  return { d: decodeDescriptor(lo, hi), lo, hi, at };
}

/** The upper half of a 16-byte system descriptor in long mode (bits 63:32 of the base), as an int32 for base64(). */
export function readSystemBaseHigh(c: Cpu, at: number): number {
  return c.mmu.readSupervisor32(at + 8);
}

/** Set the accessed bit in memory, as the processor does on a segment load (SDM Vol. 3A §3.4.5.1). */
export function markAccessed(c: Cpu, at: number, hi: number): void {
  if ((hi & 0x100) === 0) c.mmu.writeSupervisor32(at + 4, hi | 0x100);
}

/**
 * A 64-bit base from a 32-bit descriptor base and the high dword of a 16-byte
 * system descriptor, in canonical signed form (linear addresses are exact doubles
 * only that way: see mmu.ts).
 */
export const base64 = (low: number, high: number): number => (high | 0) * TWO32 + (low >>> 0);
