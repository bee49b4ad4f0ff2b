/**
 * Multiplication and division: group 3 /4../7 (MUL IMUL DIV IDIV), the two-
 * and three-operand IMUL forms (0F AF, 69, 6B) and the sign extensions of the
 * accumulator (98 CBW/CWDE/CDQE, 99 CWD/CDQ/CQO). SDM Vol. 2, "MUL", "IMUL",
 * "DIV", "IDIV", "CBW/CWDE/CDQE", "CWD/CDQ/CQO".
 *
 * Products and quotients wider than 53 bits are exact, on limbs (../wide.ts);
 * operands that fit in 32 bits, which is what compiled code mostly
 * multiplies and divides, take shorter paths.
 *
 * Flags: the multiplies set CF = OF = "the result did not fit" and, since SF
 * ZF AF PF are undefined, clear those (AMD keeps them, which would cost a
 * materialisation of the lazy flags). The divides leave all six as they were.
 */
import type { Cpu } from '../cpu.js';
import type { OpcodeTable, RowSpec } from '../decode/table.js';
import { Vector, fault } from '../fault.js';
import { setStatusFlags } from '../flags.js';
import type { Exec, Insn } from '../insn.js';
import { getE, getG, prepareRm } from '../operands.js';
import { Flag, Reg, TWO32 } from '../regs.js';
import { div64by32, mHi, mLo, muls32, muls64, mulu32, mulu64, qHi, qLo, rem32, rHi, rLo, udiv128, w0, w1, w2, w3 } from '../wide.js';

const RAX = Reg.RAX, RDX = Reg.RDX;
const INT_MIN = -0x80000000;

/** Replace all six status flags; the lazy state need not be materialised first. */
function mulFlags(c: Cpu, overflow: boolean): void {
  setStatusFlags(c, overflow ? Flag.CF | Flag.OF : 0);
}

// ---- multiplication ---------------------------------------------------------------

/** The truncated product of imul64. */
let pLo = 0, pHi = 0;

/** Signed 64 x 64 keeping the low 64 bits in pHi:pLo; returns whether the product overflowed them. */
function imul64(alo: number, ahi: number, blo: number, bhi: number): boolean {
  if (ahi === alo >> 31 && bhi === blo >> 31) { // both fit in 32 bits: so does the product in 64
    muls32(alo, blo);
    pLo = mLo; pHi = mHi;
    return false;
  }
  // The low 64 bits need only the cross products' low halves.
  mulu32(alo, blo);
  pLo = mLo;
  pHi = (mHi + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
  // Overflow: the magnitude in doubles is within 2^-51 of the truth, so it decides
  // except near 2^63, where the exact 128-bit product does.
  const p = Math.abs((ahi * TWO32 + (alo >>> 0)) * (bhi * TWO32 + (blo >>> 0)));
  if (p < 2 ** 62) return false;
  if (p > 2 ** 64) return true;
  muls64(alo, ahi, blo, bhi);
  const ext = w1 >> 31;
  return w2 !== ext || w3 !== ext;
}

/** MUL/IMUL r/m: AX <- AL * r/m8, or rDX:rAX <- rAX * r/m. */
function mulAcc(signed: boolean, i: Insn): Exec {
  const size = i.opsize;
  prepareRm(i, size);
  const get = getE(i, size);
  switch (size) {
    case 1: return (c, i) => {
      const b = get(c, i), a = c.lo[RAX]! & 0xff;
      const p = signed ? ((a << 24) >> 24) * ((b << 24) >> 24) : a * b;
      c.lo[RAX] = (c.lo[RAX]! & ~0xffff) | (p & 0xffff);
      mulFlags(c, signed ? p !== (p << 24) >> 24 : p > 0xff);
    };
    case 2: return (c, i) => {
      const b = get(c, i), a = c.lo[RAX]! & 0xffff;
      const p = signed ? ((a << 16) >> 16) * ((b << 16) >> 16) : a * b;
      c.lo[RAX] = (c.lo[RAX]! & ~0xffff) | (p & 0xffff);
      c.lo[RDX] = (c.lo[RDX]! & ~0xffff) | ((p >>> 16) & 0xffff);
      mulFlags(c, signed ? p !== (p << 16) >> 16 : p > 0xffff);
    };
    case 4: return (c, i) => {
      const b = get(c, i);
      if (signed) muls32(c.lo[RAX]!, b); else mulu32(c.lo[RAX]!, b);
      c.lo[RAX] = mLo; c.hi[RAX] = 0;
      c.lo[RDX] = mHi; c.hi[RDX] = 0;
      mulFlags(c, signed ? mHi !== mLo >> 31 : mHi !== 0);
    };
    default: return (c, i) => {
      const blo = get(c, i), bhi = c.vhi;
      if (signed) muls64(c.lo[RAX]!, c.hi[RAX]!, blo, bhi); else mulu64(c.lo[RAX]!, c.hi[RAX]!, blo, bhi);
      c.lo[RAX] = w0; c.hi[RAX] = w1;
      c.lo[RDX] = w2; c.hi[RDX] = w3;
      mulFlags(c, signed ? w2 !== w1 >> 31 || w3 !== w1 >> 31 : (w2 | w3) !== 0);
    };
  }
}

/** IMUL Gv, Ev (the other factor is Gv) or IMUL Gv, Ev, imm: the product truncated to the operand size. */
function imulTrunc(i: Insn, imm: boolean): Exec {
  const size = i.opsize;
  prepareRm(i, size);
  const get = getE(i, size), other = getG(size);
  switch (size) {
    case 2: return (c, i) => {
      const a = (get(c, i) << 16) >> 16, b = imm ? (i.imm << 16) >> 16 : (other(c, i) << 16) >> 16;
      const p = a * b;
      c.lo[i.reg] = (c.lo[i.reg]! & ~0xffff) | (p & 0xffff);
      mulFlags(c, p !== (p << 16) >> 16);
    };
    case 4: return (c, i) => {
      const a = get(c, i), b = imm ? i.imm : other(c, i);
      const p = Math.imul(a, b);
      c.lo[i.reg] = p; c.hi[i.reg] = 0;
      // The double product is inexact only beyond 2^53, where it differs from p anyway.
      mulFlags(c, a * b !== p);
    };
    default: return (c, i) => {
      const alo = get(c, i), ahi = c.vhi;
      let blo: number, bhi: number;
      if (imm) { blo = i.imm; bhi = i.immHi; } else { blo = other(c, i); bhi = c.vhi; }
      const overflow = imul64(alo, ahi, blo, bhi);
      c.lo[i.reg] = pLo; c.hi[i.reg] = pHi;
      mulFlags(c, overflow);
    };
  }
}

// ---- division --------------------------------------------------------------------

/** IDIV r/m64: RDX:RAX / r/m64, quotient truncated toward zero, remainder with the dividend's sign. */
function idiv64(c: Cpu, dl: number, dh: number): void {
  let nl = c.lo[RAX]!, nh = c.hi[RAX]!, xl = c.lo[RDX]!, xh = c.hi[RDX]!;
  const ext = nh >> 31;
  if (xl === ext && xh === ext && nh === nl >> 31 && dh === dl >> 31 && dl !== 0) {
    // Dividend and divisor both fit in 32 bits (after CQO): the quotient fits in 33, exact in doubles.
    const q = Math.trunc(nl / dl), r = nl % dl | 0;
    c.lo[RAX] = q | 0; c.hi[RAX] = q < 0 ? -1 : 0;
    c.lo[RDX] = r; c.hi[RDX] = r >> 31;
    return;
  }
  const nNeg = xh < 0, dNeg = dh < 0;
  if (nNeg) { // two's complement of the 128-bit dividend: a word is negated if all below it are 0, else inverted
    xh = (nl | nh | xl) === 0 ? -xh | 0 : ~xh;
    xl = (nl | nh) === 0 ? -xl | 0 : ~xl;
    nh = nl === 0 ? -nh | 0 : ~nh;
    nl = -nl | 0;
  }
  if (dNeg) { dh = dl === 0 ? -dh | 0 : ~dh; dl = -dl | 0; }
  if (!udiv128(xh, xl, nh, nl, dh, dl)) fault(Vector.DE);
  // The magnitude must fit the signed range: at most 2^63 - 1, or 2^63 for a negative quotient.
  let ql = qLo, qh = qHi, rl = rLo, rh = rHi;
  if (nNeg !== dNeg) {
    if (qh < 0 && (qh !== INT_MIN || ql !== 0)) fault(Vector.DE);
    qh = ql === 0 ? -qh | 0 : ~qh; ql = -ql | 0;
  } else if (qh < 0) fault(Vector.DE);
  if (nNeg) { rh = rl === 0 ? -rh | 0 : ~rh; rl = -rl | 0; }
  c.lo[RAX] = ql; c.hi[RAX] = qh;
  c.lo[RDX] = rl; c.hi[RDX] = rh;
}

/** IDIV r/m32: EDX:EAX / r/m32. */
function idiv32(c: Cpu, d: number): void {
  const nl = c.lo[RAX]!, nh = c.lo[RDX]!;
  let q: number, r: number;
  if (d === 0) fault(Vector.DE);
  if (nh === nl >> 31) { // the dividend fits in 32 bits (after CDQ): only INT_MIN / -1 overflows
    if (nl === INT_MIN && d === -1) fault(Vector.DE);
    q = (nl / d) | 0; r = nl % d | 0;
  } else {
    const neg = nh < 0, ad = Math.abs(d);
    const ml = neg ? -nl >>> 0 : nl >>> 0, mh = neg ? (nl === 0 ? -nh : ~nh) >>> 0 : nh >>> 0;
    if (mh >= ad) fault(Vector.DE);
    const mq = div64by32(mh, ml, ad);
    if (mq > (neg !== d < 0 ? 0x80000000 : 0x7fffffff)) fault(Vector.DE);
    q = neg !== d < 0 ? -mq | 0 : mq | 0;
    r = neg ? -rem32 | 0 : rem32 | 0;
  }
  c.lo[RAX] = q; c.hi[RAX] = 0;
  c.lo[RDX] = r; c.hi[RDX] = 0;
}

/** DIV/IDIV r/m: AX / r/m8 into AL, AH; or rDX:rAX / r/m into rAX, rDX. #DE leaves everything as it was. */
function divide(signed: boolean, i: Insn): Exec {
  const size = i.opsize;
  prepareRm(i, size);
  const get = getE(i, size);
  switch (size) {
    case 1: case 2: {
      // Dividends below 2^32: plain double division is exact.
      const w = size * 8, lim = signed ? 2 ** (w - 1) : 2 ** w, sh = 32 - w, mask = (1 << w) - 1;
      return (c, i) => {
        const ax = c.lo[RAX]!;
        let n = size === 1 ? ax & 0xffff : ((c.lo[RDX]! & 0xffff) << 16) | (ax & 0xffff);
        let d = get(c, i);
        if (signed) { n = size === 1 ? (n << 16) >> 16 : n; d = (d << sh) >> sh; } else n >>>= 0;
        if (d === 0) fault(Vector.DE);
        const q = Math.trunc(n / d), r = n % d;
        if (q >= lim || q < (signed ? -lim : 0)) fault(Vector.DE);
        if (size === 1) c.lo[RAX] = (ax & ~0xffff) | ((r & mask) << 8) | (q & mask);
        else { c.lo[RAX] = (ax & ~0xffff) | (q & mask); c.lo[RDX] = (c.lo[RDX]! & ~0xffff) | (r & mask); }
      };
    }
    case 4: return signed ? (c, i) => idiv32(c, get(c, i)) : (c, i) => {
      const d = get(c, i) >>> 0, hi = c.lo[RDX]! >>> 0, lo = c.lo[RAX]! >>> 0;
      if (hi >= d) fault(Vector.DE); // also d = 0
      const q = hi === 0 ? Math.floor(lo / d) : div64by32(hi, lo, d);
      const r = hi === 0 ? lo - q * d : rem32;
      c.lo[RAX] = q | 0; c.hi[RAX] = 0;
      c.lo[RDX] = r | 0; c.hi[RDX] = 0;
    };
    default: return signed ? (c, i) => { const dl = get(c, i); idiv64(c, dl, c.vhi); } : (c, i) => {
      const dl = get(c, i), dh = c.vhi;
      if (!udiv128(c.hi[RDX]!, c.lo[RDX]!, c.hi[RAX]!, c.lo[RAX]!, dh, dl)) fault(Vector.DE);
      c.lo[RAX] = qLo; c.hi[RAX] = qHi;
      c.lo[RDX] = rLo; c.hi[RDX] = rHi;
    };
  }
}

// ---- accumulator sign extension ------------------------------------------------------

/** 98: AX <- sext(AL), EAX <- sext(AX), RAX <- sext(EAX). */
function cbw(i: Insn): Exec {
  switch (i.opsize) {
    case 2: return (c) => { c.lo[RAX] = (c.lo[RAX]! & ~0xffff) | (((c.lo[RAX]! << 24) >> 24) & 0xffff); };
    case 4: return (c) => { c.lo[RAX] = (c.lo[RAX]! << 16) >> 16; c.hi[RAX] = 0; };
    default: return (c) => { c.hi[RAX] = c.lo[RAX]! >> 31; };
  }
}

/** 99: DX, EDX or RDX <- the sign of AX, EAX or RAX, replicated. */
function cwd(i: Insn): Exec {
  switch (i.opsize) {
    case 2: return (c) => { c.lo[RDX] = (c.lo[RDX]! & ~0xffff) | (((c.lo[RAX]! << 16) >> 31) & 0xffff); };
    case 4: return (c) => { c.lo[RDX] = c.lo[RAX]! >> 31; c.hi[RDX] = 0; };
    default: return (c) => { const s = c.hi[RAX]! >> 31; c.lo[RDX] = s; c.hi[RDX] = s; };
  }
}

/** Group 3 rows /4../7 (MUL IMUL DIV IDIV) for operand string `o` ('Eb' or 'Ev'). */
export const group3MulDiv = (o: string): (RowSpec | undefined)[] => [
  { m: 'MUL', o, compile: (i) => mulAcc(false, i) },
  { m: 'IMUL', o, compile: (i) => mulAcc(true, i) },
  { m: 'DIV', o, compile: (i) => divide(false, i) },
  { m: 'IDIV', o, compile: (i) => divide(true, i) },
];

export function register(t: OpcodeTable): void {
  t.two(0xaf, { m: 'IMUL', o: 'Gv,Ev', compile: (i) => imulTrunc(i, false) });
  t.one(0x69, { m: 'IMUL', o: 'Gv,Ev,Iz', compile: (i) => imulTrunc(i, true) });
  t.one(0x6b, { m: 'IMUL', o: 'Gv,Ev,Ib', compile: (i) => imulTrunc(i, true) });
  t.one(0x98, { m: 'CBW/CWDE/CDQE', o: '', compile: cbw });
  t.one(0x99, { m: 'CWD/CDQ/CQO', o: '', compile: cwd });
}
