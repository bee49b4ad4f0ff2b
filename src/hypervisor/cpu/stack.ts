/**
 * Stack pushes and pops at the current stack width: RSP whole in 64-bit mode
 * (SDM Vol. 1 §6.2.5), otherwise ESP or SP as SS.B says, offset by the SS base.
 * Each push writes memory before RSP changes, so a faulting push leaves RSP
 * untouched.
 */
import type { Cpu } from './cpu.js';
import { CANON } from './decode/ea.js';
import { GuestFault, Vector } from './fault.js';
import { Reg, Seg, TWO32 } from './regs.js';

const RSP = Reg.RSP;

function stackAddr(c: Cpu, offset: number): number {
  if (c.stackBits === 64) {
    const a = c.hi[RSP]! * TWO32 + (c.lo[RSP]! >>> 0) + offset;
    if (a < -CANON || a >= CANON) throw new GuestFault(Vector.SS, 0);
    return a;
  }
  const sp = c.stackBits === 32 ? (c.lo[RSP]! + offset) >>> 0 : (c.lo[RSP]! + offset) & 0xffff;
  return (c.segBase[Seg.SS]! + sp) % TWO32;
}

/** RSP += delta, wrapping at the stack width (the upper bits of ESP/SP are left alone). */
export function adjustRsp(c: Cpu, delta: number): void {
  if (c.stackBits === 64) {
    const s = (c.lo[RSP]! >>> 0) + delta;
    c.lo[RSP] = s | 0;
    c.hi[RSP] = (c.hi[RSP]! + Math.floor(s / TWO32)) | 0;
  } else if (c.stackBits === 32) {
    c.lo[RSP] = (c.lo[RSP]! + delta) | 0;
  } else {
    c.lo[RSP] = (c.lo[RSP]! & ~0xffff) | ((c.lo[RSP]! + delta) & 0xffff);
  }
}

export function push64(c: Cpu, lo: number, hi: number): void {
  c.mmu.write64(stackAddr(c, -8), lo, hi);
  adjustRsp(c, -8);
}

export function push16(c: Cpu, v: number): void {
  c.mmu.write16(stackAddr(c, -2), v);
  adjustRsp(c, -2);
}

/** Push a value of `size` bytes (2 or 8 in 64-bit mode; 4 in legacy modes). */
export function push(c: Cpu, size: number, lo: number, hi: number): void {
  if (size === 8) push64(c, lo, hi);
  else if (size === 2) push16(c, lo);
  else {
    c.mmu.write32(stackAddr(c, -4), lo);
    adjustRsp(c, -4);
  }
}

/** Pop 64 bits: returns the low half, high half in `c.vhi`. */
export function pop64(c: Cpu): number {
  const lo = c.mmu.read64(stackAddr(c, 0));
  const hi = c.mmu.hi;
  adjustRsp(c, 8);
  c.vhi = hi;
  return lo;
}

export function pop(c: Cpu, size: number): number {
  if (size === 8) return pop64(c);
  const a = stackAddr(c, 0);
  const v = size === 2 ? c.mmu.read16(a) : c.mmu.read32(a);
  adjustRsp(c, size);
  return v;
}

/** Read the stack without popping (for instructions that check before they commit). */
export function peekStack64(c: Cpu, offset: number): number {
  const lo = c.mmu.read64(stackAddr(c, offset));
  c.vhi = c.mmu.hi;
  return lo;
}
