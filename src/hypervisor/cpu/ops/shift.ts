/**
 * Shifts and rotates: group 2 (C0 C1 D0-D3: ROL ROR RCL RCR SHL SHR SAL SAR)
 * and the double shifts SHLD/SHRD (0F A4/A5/AC/AD). SDM Vol. 2, "RCL/RCR/ROL/
 * ROR", "SAL/SAR/SHL/SHR", "SHLD", "SHRD".
 *
 * The count is masked to 5 bits (6 with a 64-bit operand) before anything
 * else; a masked count of 0 leaves the flags alone, though the destination is
 * still written (a 32-bit register is zero-extended, and a read-only memory
 * operand faults, as on hardware). Flags are computed eagerly.
 *
 * Where the SDM leaves a flag undefined we give what the AMD hosts we test
 * against give, when that costs nothing: OF comes from the result for every
 * count, by formulas that agree with the SDM's for a count of 1, and the
 * shifts (not the rotates) set AF.
 */
import type { Cpu } from '../cpu.js';
import type { OpcodeTable, RowSpec } from '../decode/table.js';
import { getCF, parity, setStatusFlags, settleFlags } from '../flags.js';
import type { Exec, Insn } from '../insn.js';
import { getE, getG, prepareRm, putE, readMemForWrite, writeMem } from '../operands.js';
import { Flag, Reg } from '../regs.js';

/** ModRM.reg of group 2 (/7 is SAR, the `default` of the switches); /6, SAL, is SHL on every processor. */
const ROL = 0, ROR = 1, RCL = 2, RCR = 3, SHL = 4, SHR = 5;
const NAMES = ['ROL', 'ROR', 'RCL', 'RCR', 'SHL', 'SHR', 'SAL', 'SAR'];


/** Rotates write CF and OF only; SF ZF AF PF keep their values. */
function rotateFlags(c: Cpu, cf: number, of: number): void {
  settleFlags(c);
  c.rflags = (c.rflags & ~(Flag.CF | Flag.OF)) | cf | (of << 11);
}

const shiftFlags = (cf: number, of: number, zero: boolean, sign: number, low: number): number =>
  cf | (parity(low) << 2) | Flag.AF | (zero ? Flag.ZF : 0) | (sign << 7) | (of << 11);

/** Group 2 at `w` = 8, 16 or 32 bits on `v` (zero-extended below 32 bits). */
function shiftNarrow(c: Cpu, op: number, w: number, v: number, count: number): number {
  const n = count & 31;
  if (n === 0) return v;
  const mask = w === 32 ? -1 : (1 << w) - 1, top = w - 1;
  let r: number, cf: number;
  switch (op) {
    case ROL: case ROR: {
      // 8- and 16-bit rotates go round modulo the width; CF still reflects the result.
      const k = n % w;
      if (op === ROL) { r = ((v << k) | (v >>> (w - k))) & mask; cf = r & 1; }
      else { r = ((v >>> k) | (v << (w - k))) & mask; cf = (r >>> top) & 1; }
      rotateFlags(c, cf, op === ROL ? ((r >>> top) ^ cf) & 1 : ((r >>> top) ^ (r >>> (top - 1))) & 1);
      return r;
    }
    case RCL: case RCR: {
      // Through CF: a (w+1)-bit rotate, so 8- and 16-bit counts go modulo 9 and 17.
      const k = w === 32 ? n : n % (w + 1), cin = getCF(c);
      if (k === 0) { r = v; cf = cin; }
      else if (op === RCL) { r = ((v << k) | (cin << (k - 1)) | (k > 1 ? v >>> (w + 1 - k) : 0)) & mask; cf = (v >>> (w - k)) & 1; }
      else { r = ((v >>> k) | (cin << (w - k)) | (k > 1 ? v << (w + 1 - k) : 0)) & mask; cf = (v >>> (k - 1)) & 1; }
      rotateFlags(c, cf, op === RCL ? ((r >>> top) ^ cf) & 1 : ((r >>> top) ^ (r >>> (top - 1))) & 1);
      return r;
    }
    case SHL:
      // Counts beyond the width (8/16-bit only) shift everything out; CF is then undefined (0 on the host).
      cf = n <= w ? (v >>> (w - n)) & 1 : 0;
      r = (v << n) & mask;
      setStatusFlags(c, shiftFlags(cf, ((r >>> top) ^ cf) & 1, r === 0, (r >>> top) & 1, r));
      return r;
    case SHR:
      cf = (v >>> (n - 1)) & 1;
      r = (v >>> n) & mask;
      setStatusFlags(c, shiftFlags(cf, ((r >>> top) ^ (r >>> (top - 1))) & 1, r === 0, (r >>> top) & 1, r));
      return r;
    default: { /* SAR */
      const sv = (v << (32 - w)) >> (32 - w);
      cf = (sv >> (n - 1)) & 1;
      r = (sv >> n) & mask;
      setStatusFlags(c, shiftFlags(cf, 0, r === 0, (r >>> top) & 1, r));
      return r;
    }
  }
}

// 64-bit values as halves: the helpers leave their result in outLo/outHi.
let outLo = 0, outHi = 0;

/** (hi:lo) << n, for 0 <= n <= 64. */
function shl64(lo: number, hi: number, n: number): void {
  if (n === 0) { outLo = lo; outHi = hi; }
  else if (n < 32) { outHi = (hi << n) | (lo >>> (32 - n)); outLo = lo << n; }
  else if (n < 64) { outHi = lo << (n - 32); outLo = 0; }
  else { outHi = 0; outLo = 0; }
}

/** (hi:lo) >>> n (or >> n when `arith`), for 0 <= n <= 64. */
function shr64(lo: number, hi: number, n: number, arith: boolean): void {
  const fill = arith ? hi >> 31 : 0;
  if (n === 0) { outLo = lo; outHi = hi; }
  else if (n < 32) { outLo = (lo >>> n) | (hi << (32 - n)); outHi = arith ? hi >> n : hi >>> n; }
  else if (n < 64) { outLo = arith ? hi >> (n - 32) : hi >>> (n - 32); outHi = fill; }
  else { outLo = fill; outHi = fill; }
}

/** Bit `k` (0..63) of hi:lo. */
const bit64 = (lo: number, hi: number, k: number): number => (k < 32 ? lo >>> k : hi >>> (k - 32)) & 1;

/** Group 2 on a 64-bit value; returns the low half, high half in `c.vhi`. */
function shift64(c: Cpu, op: number, lo: number, hi: number, count: number): number {
  const n = count & 63;
  if (n === 0) { c.vhi = hi; return lo; }
  let cf: number, of: number;
  switch (op) {
    case ROL: case ROR: case RCL: case RCR: {
      // The OR of two opposite shifts; through CF the rotate is 65 bits wide and CF fills the gap.
      const left = op === ROL || op === RCL, through = op === RCL || op === RCR;
      const back = (through ? 65 : 64) - n;
      if (left) shr64(lo, hi, back, false); else shl64(lo, hi, back);
      const wrapLo = outLo, wrapHi = outHi;
      if (left) shl64(lo, hi, n); else shr64(lo, hi, n, false);
      outLo |= wrapLo; outHi |= wrapHi;
      if (through) {
        const b = left ? n - 1 : 64 - n, cin = getCF(c);
        if (b < 32) outLo |= cin << b; else outHi |= cin << (b - 32);
        cf = bit64(lo, hi, left ? 64 - n : n - 1);
      } else {
        cf = left ? outLo & 1 : outHi >>> 31;
      }
      rotateFlags(c, cf, left ? ((outHi >>> 31) ^ cf) & 1 : ((outHi >>> 31) ^ (outHi >>> 30)) & 1);
      c.vhi = outHi;
      return outLo;
    }
    case SHL: shl64(lo, hi, n); cf = bit64(lo, hi, 64 - n); of = ((outHi >>> 31) ^ cf) & 1; break;
    case SHR: shr64(lo, hi, n, false); cf = bit64(lo, hi, n - 1); of = ((outHi >>> 31) ^ (outHi >>> 30)) & 1; break;
    default /* SAR */: shr64(lo, hi, n, true); cf = bit64(lo, hi, n - 1); of = 0;
  }
  setStatusFlags(c, shiftFlags(cf, of, (outLo | outHi) === 0, outHi >>> 31, outLo));
  c.vhi = outHi;
  return outLo;
}

/** Where the count comes from: the constant 1 (D0/D1), CL (D2/D3) or an imm8 (C0/C1). */
type Count = (c: Cpu, i: Insn) => number;
const ONE: Count = () => 1;
const CL: Count = (c) => c.lo[Reg.RCX]!;
const IMM: Count = (_c, i) => i.imm;
const countOf = (o: string): Count => (o.endsWith(',1') ? ONE : o.endsWith('CL') ? CL : IMM);

function compileShift(op: number, count: Count, i: Insn): Exec {
  const size = i.opsize;
  prepareRm(i, size);
  // Memory operands: one effective-address evaluation, and a read checked for write
  // access, so that a read-only page faults before the flags change.
  if (size === 8) {
    if (i.ea !== null) {
      return (c, i) => {
        const a = i.ea!(c, i);
        const lo = c.mmu.readW64(a);
        const r = shift64(c, op, lo, c.mmu.hi, count(c, i));
        c.mmu.write64(a, r, c.vhi);
      };
    }
    return (c, i) => {
      const r = shift64(c, op, c.lo[i.rm]!, c.hi[i.rm]!, count(c, i));
      c.lo[i.rm] = r; c.hi[i.rm] = c.vhi;
    };
  }
  const w = size * 8;
  if (i.ea !== null) {
    return (c, i) => {
      const a = i.ea!(c, i);
      writeMem(c, a, size, shiftNarrow(c, op, w, readMemForWrite(c, a, size), count(c, i)), 0);
    };
  }
  const get = getE(i, size), put = putE(i, size);
  return (c, i) => put(c, i, shiftNarrow(c, op, w, get(c, i), count(c, i)), 0);
}

/**
 * SHLD/SHRD at 16 or 32 bits: `d` shifted, its vacated bits filled from `s`.
 * A 16-bit count above 16 has an undefined result (SDM "SHLD"); like the AMD
 * host we shift d:s:s (SHLD) or s:s:d (SHRD), which rotates `s`, and clear CF and OF.
 */
function doubleNarrow(c: Cpu, left: boolean, w: number, d: number, s: number, count: number): number {
  const n = count & 31;
  if (n === 0) return d;
  let r: number, cf: number, of: number;
  if (w === 16 && n > 16) {
    r = left ? ((s << (n - 16)) | (s >>> (32 - n))) & 0xffff : ((s >>> (n - 16)) | (s << (32 - n))) & 0xffff;
    cf = 0; of = 0;
  } else {
    const mask = w === 32 ? -1 : 0xffff, top = w - 1;
    if (left) { r = ((d << n) | (n < w ? s >>> (w - n) : s)) & mask; cf = (d >>> (w - n)) & 1; of = ((r >>> top) ^ cf) & 1; }
    else { r = ((n < w ? d >>> n : 0) | (s << (w - n))) & mask; cf = (d >>> (n - 1)) & 1; of = ((r >>> top) ^ (r >>> (top - 1))) & 1; }
  }
  setStatusFlags(c, shiftFlags(cf, of, r === 0, (r >>> (w - 1)) & 1, r));
  return r;
}

function double64(c: Cpu, left: boolean, lo: number, hi: number, slo: number, shi: number, count: number): number {
  const n = count & 63;
  if (n === 0) { c.vhi = hi; return lo; }
  let cf: number, of: number;
  if (left) {
    shr64(slo, shi, 64 - n, false);
    const fl = outLo, fh = outHi;
    shl64(lo, hi, n);
    outLo |= fl; outHi |= fh;
    cf = bit64(lo, hi, 64 - n);
    of = ((outHi >>> 31) ^ cf) & 1;
  } else {
    shl64(slo, shi, 64 - n);
    const fl = outLo, fh = outHi;
    shr64(lo, hi, n, false);
    outLo |= fl; outHi |= fh;
    cf = bit64(lo, hi, n - 1);
    of = ((outHi >>> 31) ^ (outHi >>> 30)) & 1;
  }
  setStatusFlags(c, shiftFlags(cf, of, (outLo | outHi) === 0, outHi >>> 31, outLo));
  c.vhi = outHi;
  return outLo;
}

function compileDouble(left: boolean, count: Count, i: Insn): Exec {
  const size = i.opsize;
  if (size === 8) {
    if (i.ea !== null) {
      return (c, i) => {
        const a = i.ea!(c, i);
        const lo = c.mmu.readW64(a);
        const r = double64(c, left, lo, c.mmu.hi, c.lo[i.reg]!, c.hi[i.reg]!, count(c, i));
        c.mmu.write64(a, r, c.vhi);
      };
    }
    return (c, i) => {
      const r = double64(c, left, c.lo[i.rm]!, c.hi[i.rm]!, c.lo[i.reg]!, c.hi[i.reg]!, count(c, i));
      c.lo[i.rm] = r; c.hi[i.rm] = c.vhi;
    };
  }
  const w = size * 8, src = getG(size);
  if (i.ea !== null) {
    return (c, i) => {
      const a = i.ea!(c, i);
      writeMem(c, a, size, doubleNarrow(c, left, w, readMemForWrite(c, a, size), src(c, i), count(c, i)), 0);
    };
  }
  const get = getE(i, size), put = putE(i, size);
  return (c, i) => put(c, i, doubleNarrow(c, left, w, get(c, i), src(c, i), count(c, i)), 0);
}

/** Group 2 rows /0../7 (ROL ROR RCL RCR SHL SHR SAL SAR) for operand string `o` (e.g. 'Ev,Ib', 'Eb,1', 'Ev,CL'). */
export const group2 = (o: string): (RowSpec | undefined)[] =>
  NAMES.map((m, op) => ({ m, o, compile: (i: Insn) => compileShift(op === 6 ? SHL : op, countOf(o), i) }));

export function register(t: OpcodeTable): void {
  t.two(0xa4, { m: 'SHLD', o: 'Ev,Gv,Ib', compile: (i) => compileDouble(true, IMM, i) });
  t.two(0xa5, { m: 'SHLD', o: 'Ev,Gv,CL', compile: (i) => compileDouble(true, CL, i) });
  t.two(0xac, { m: 'SHRD', o: 'Ev,Gv,Ib', compile: (i) => compileDouble(false, IMM, i) });
  t.two(0xad, { m: 'SHRD', o: 'Ev,Gv,CL', compile: (i) => compileDouble(false, CL, i) });
}
