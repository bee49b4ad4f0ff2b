/**
 * Operand access, specialised when an instruction is compiled. A getter
 * returns the operand's value; for 64-bit operands it returns the low half and
 * leaves the high half in `cpu.vhi`. A setter takes both halves and ignores
 * the high one below 64 bits.
 *
 * Writing a 32-bit register zero-extends into the full 64-bit register; 8- and
 * 16-bit writes leave the rest untouched (SDM Vol. 1 §3.4.1.1).
 */
import type { Cpu } from './cpu.js';
import type { Insn } from './insn.js';

export type Getter = (c: Cpu, i: Insn) => number;
export type Setter = (c: Cpu, i: Insn, lo: number, hi: number) => void;

/**
 * Byte-register code: 0-15 are the low bytes of the 16 registers; 16-19 are
 * AH, CH, DH, BH, which encodings 4-7 select when no REX prefix is present.
 */
export const byteReg = (r: number, rex: number): number => (rex === 0 && r >= 4 && r < 8 ? r + 12 : r);

export function getReg(c: Cpu, r: number, size: number): number {
  switch (size) {
    case 1: return r < 16 ? c.lo[r]! & 0xff : (c.lo[r - 16]! >> 8) & 0xff;
    case 2: return c.lo[r]! & 0xffff;
    case 4: return c.lo[r]!;
    default: c.vhi = c.hi[r]!; return c.lo[r]!;
  }
}

export function setReg(c: Cpu, r: number, size: number, lo: number, hi: number): void {
  switch (size) {
    case 1:
      if (r < 16) c.lo[r] = (c.lo[r]! & ~0xff) | (lo & 0xff);
      else c.lo[r - 16] = (c.lo[r - 16]! & ~0xff00) | ((lo & 0xff) << 8);
      return;
    case 2: c.lo[r] = (c.lo[r]! & ~0xffff) | (lo & 0xffff); return;
    case 4: c.lo[r] = lo; c.hi[r] = 0; return;
    default: c.lo[r] = lo; c.hi[r] = hi;
  }
}

export function readMem(c: Cpu, la: number, size: number): number {
  switch (size) {
    case 1: return c.mmu.read8(la);
    case 2: return c.mmu.read16(la);
    case 4: return c.mmu.read32(la);
    default: { const lo = c.mmu.read64(la); c.vhi = c.mmu.hi; return lo; }
  }
}

/** Read the memory operand of a read-modify-write instruction (checked for write access). */
export function readMemForWrite(c: Cpu, la: number, size: number): number {
  switch (size) {
    case 1: return c.mmu.readW8(la);
    case 2: return c.mmu.readW16(la);
    case 4: return c.mmu.readW32(la);
    default: { const lo = c.mmu.readW64(la); c.vhi = c.mmu.hi; return lo; }
  }
}

export function writeMem(c: Cpu, la: number, size: number, lo: number, hi: number): void {
  switch (size) {
    case 1: c.mmu.write8(la, lo); return;
    case 2: c.mmu.write16(la, lo); return;
    case 4: c.mmu.write32(la, lo); return;
    default: c.mmu.write64(la, lo, hi);
  }
}

// Specialised getters/setters. Each size has its own closure so that V8 sees a
// single shape per call site once the instruction is compiled.

const GET_REG: Getter[] = [
  (c, i) => (i.rm < 16 ? c.lo[i.rm]! & 0xff : (c.lo[i.rm - 16]! >> 8) & 0xff),
  (c, i) => c.lo[i.rm]! & 0xffff,
  (c, i) => c.lo[i.rm]!,
  (c, i) => { c.vhi = c.hi[i.rm]!; return c.lo[i.rm]!; },
];
const GET_MEM: Getter[] = [
  (c, i) => c.mmu.read8(i.ea!(c, i)),
  (c, i) => c.mmu.read16(i.ea!(c, i)),
  (c, i) => c.mmu.read32(i.ea!(c, i)),
  (c, i) => { const lo = c.mmu.read64(i.ea!(c, i)); c.vhi = c.mmu.hi; return lo; },
];
const PUT_REG: Setter[] = [
  (c, i, v) => setReg(c, i.rm, 1, v, 0),
  (c, i, v) => { c.lo[i.rm] = (c.lo[i.rm]! & ~0xffff) | (v & 0xffff); },
  (c, i, v) => { c.lo[i.rm] = v; c.hi[i.rm] = 0; },
  (c, i, v, h) => { c.lo[i.rm] = v; c.hi[i.rm] = h; },
];
const PUT_MEM: Setter[] = [
  (c, i, v) => c.mmu.write8(i.ea!(c, i), v),
  (c, i, v) => c.mmu.write16(i.ea!(c, i), v),
  (c, i, v) => c.mmu.write32(i.ea!(c, i), v),
  (c, i, v, h) => c.mmu.write64(i.ea!(c, i), v, h),
];

const sizeIndex = (size: number): number => (size === 1 ? 0 : size === 2 ? 1 : size === 4 ? 2 : 3);

/**
 * Prepare an instruction's r/m operand for the specialised accessors: byte
 * registers get their AH..BH code here, once.
 */
export function prepareRm(i: Insn, size: number): void {
  if (i.ea === null && size === 1) i.rm = byteReg(i.rm, i.rex);
}
export function prepareReg(i: Insn, size: number): void {
  if (size === 1) i.reg = byteReg(i.reg, i.rex);
}

/** Getter for the E (r/m) operand at `size`; call `prepareRm` first. */
export const getE = (i: Insn, size: number): Getter => (i.ea ? GET_MEM : GET_REG)[sizeIndex(size)]!;
export const putE = (i: Insn, size: number): Setter => (i.ea ? PUT_MEM : PUT_REG)[sizeIndex(size)]!;

const GET_G: Getter[] = [
  (c, i) => (i.reg < 16 ? c.lo[i.reg]! & 0xff : (c.lo[i.reg - 16]! >> 8) & 0xff),
  (c, i) => c.lo[i.reg]! & 0xffff,
  (c, i) => c.lo[i.reg]!,
  (c, i) => { c.vhi = c.hi[i.reg]!; return c.lo[i.reg]!; },
];
const PUT_G: Setter[] = [
  (c, i, v) => setReg(c, i.reg, 1, v, 0),
  (c, i, v) => { c.lo[i.reg] = (c.lo[i.reg]! & ~0xffff) | (v & 0xffff); },
  (c, i, v) => { c.lo[i.reg] = v; c.hi[i.reg] = 0; },
  (c, i, v, h) => { c.lo[i.reg] = v; c.hi[i.reg] = h; },
];
/** Getter/setter for the G (ModRM.reg) operand at `size`; call `prepareReg` first. */
export const getG = (size: number): Getter => GET_G[sizeIndex(size)]!;
export const putG = (size: number): Setter => PUT_G[sizeIndex(size)]!;

/** Mask of a size's value bits (4 and 8 bytes give -1: the low half is whole). */
export const sizeMask = (size: number): number => (size === 1 ? 0xff : size === 2 ? 0xffff : -1);
