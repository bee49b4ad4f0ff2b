/**
 * Effective-address functions, one per addressing shape, chosen by the decoder
 * so that executing an instruction never re-examines its ModRM/SIB bytes.
 *
 * In 64-bit mode the sum is done in doubles: a register's value is
 * `hi * 2^32 + lo`, exact for every canonical address and for small negative
 * offsets, and the result is checked for canonicality here (SDM Vol. 1
 * §3.3.7.1): #SS for stack references, #GP otherwise.
 */
import { GuestFault, Vector } from '../fault.js';
import type { EaFn, Insn } from '../insn.js';
import { Reg, TWO32 } from '../regs.js';

/** 2^47: canonical addresses lie in [-2^47, 2^47). */
export const CANON = 140737488355328;

export function nonCanonical(i: Insn): never {
  const stack = i.segOverride < 0 && (i.base === Reg.RSP || i.base === Reg.RBP);
  throw new GuestFault(stack ? Vector.SS : Vector.GP, 0);
}

// ---- 64-bit address size --------------------------------------------------------

export const eaBase64: EaFn = (c, i) => {
  const b = i.base;
  const a = c.hi[b]! * TWO32 + (c.lo[b]! >>> 0) + i.disp + c.segBase[i.seg]!;
  if (a < -CANON || a >= CANON) nonCanonical(i);
  return a;
};

export const eaBaseIndex64: EaFn = (c, i) => {
  const b = i.base, x = i.index;
  const a = c.hi[b]! * TWO32 + (c.lo[b]! >>> 0) + (c.hi[x]! * TWO32 + (c.lo[x]! >>> 0)) * (1 << i.scale) + i.disp + c.segBase[i.seg]!;
  if (a < -CANON || a >= CANON) nonCanonical(i);
  return a;
};

export const eaIndex64: EaFn = (c, i) => {
  const x = i.index;
  const a = (c.hi[x]! * TWO32 + (c.lo[x]! >>> 0)) * (1 << i.scale) + i.disp + c.segBase[i.seg]!;
  if (a < -CANON || a >= CANON) nonCanonical(i);
  return a;
};

/** Absolute disp32 (SIB with neither base nor index) and RIP-relative (disp already holds the target). */
export const eaAbs64: EaFn = (c, i) => {
  const a = i.disp + c.segBase[i.seg]!;
  if (a < -CANON || a >= CANON) nonCanonical(i);
  return a;
};

// ---- 32-bit address size: the sum wraps at 2^32 -----------------------------------

/** In 64-bit mode a 32-bit address is zero-extended, then the FS/GS base is added. */
export const eaAddr32In64: EaFn = (c, i) => {
  const a = sum32(c.lo, i) + c.segBase[i.seg]!;
  if (a >= CANON) nonCanonical(i);
  return a;
};

/** Legacy modes: the linear address itself wraps at 4 GiB. */
export const eaAddr32: EaFn = (c, i) => (sum32(c.lo, i) + c.segBase[i.seg]!) % TWO32;

function sum32(lo: Int32Array, i: Insn): number {
  let a = i.disp;
  if (i.base >= 0) a += lo[i.base]!;
  if (i.index >= 0) a += lo[i.index]! << i.scale;
  return a >>> 0;
}

// ---- 16-bit address size (SDM Vol. 2A table 2-1) --------------------------------------

/** Base and index registers of the eight 16-bit r/m encodings; -1 for none. */
export const RM16_BASE = [Reg.RBX, Reg.RBX, Reg.RBP, Reg.RBP, -1, -1, Reg.RBP, Reg.RBX] as const;
export const RM16_INDEX = [Reg.RSI, Reg.RDI, Reg.RSI, Reg.RDI, Reg.RSI, Reg.RDI, -1, -1] as const;

export const eaAddr16: EaFn = (c, i) => {
  let a = i.disp;
  if (i.base >= 0) a += c.lo[i.base]!;
  if (i.index >= 0) a += c.lo[i.index]!;
  return ((a & 0xffff) + c.segBase[i.seg]!) % TWO32;
};
