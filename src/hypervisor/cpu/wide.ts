/**
 * Exact 64 x 64 -> 128-bit multiplication and 128 / 64-bit division on int32
 * halves, for MUL/IMUL/DIV/IDIV (ops/muldiv.ts), without BigInt.
 *
 * Everything is done on 16-bit limbs or with doubles whose operands are small
 * enough to be exact: a 16 x 16 product is below 2^32, a sum of a few of them
 * below 2^53, and a double division of integers n, d with n + d <= 2^53 rounds
 * to the right floor. Results go to module-level fields (read through the
 * live bindings below), so no call allocates.
 */
import { TWO32 } from './regs.js';

// ---- multiplication -------------------------------------------------------------------

/** The 64-bit product of mulu32/muls32. */
export let mLo = 0, mHi = 0;
/** The 128-bit product of mulu64/muls64, in 32-bit words, least significant first. */
export let w0 = 0, w1 = 0, w2 = 0, w3 = 0;

/** Unsigned 32 x 32 -> 64 into mHi:mLo: four 16 x 16 partial products, each below 2^32. */
export function mulu32(a: number, b: number): void {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  mLo = (mid << 16) | (p00 & 0xffff);
  mHi = (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
}

/** Signed 32 x 32 -> 64: the unsigned product, high half corrected for negative operands. */
export function muls32(a: number, b: number): void {
  mulu32(a, b);
  mHi = (mHi - (a < 0 ? b : 0) - (b < 0 ? a : 0)) | 0;
}

/** Unsigned 64 x 64 -> 128 into w3..w0, schoolbook on 32-bit words (column sums stay below 2^53). */
export function mulu64(alo: number, ahi: number, blo: number, bhi: number): void {
  mulu32(alo, blo); w0 = mLo; let s1 = mHi >>> 0;
  mulu32(alo, bhi); s1 += mLo >>> 0; let s2 = mHi >>> 0;
  mulu32(ahi, blo); s1 += mLo >>> 0; s2 += mHi >>> 0;
  mulu32(ahi, bhi); s2 += mLo >>> 0;
  s2 += Math.floor(s1 / TWO32);
  w1 = s1 | 0;
  w2 = s2 | 0;
  w3 = (mHi + Math.floor(s2 / TWO32)) | 0;
}

/** Signed 64 x 64 -> 128: as for muls32, subtract the other operand from the high half per negative operand. */
export function muls64(alo: number, ahi: number, blo: number, bhi: number): void {
  mulu64(alo, ahi, blo, bhi);
  if (ahi < 0) { const t = (w2 >>> 0) - (blo >>> 0); w2 = t | 0; w3 = (w3 - bhi - (t < 0 ? 1 : 0)) | 0; }
  if (bhi < 0) { const t = (w2 >>> 0) - (alo >>> 0); w2 = t | 0; w3 = (w3 - ahi - (t < 0 ? 1 : 0)) | 0; }
}

// ---- division --------------------------------------------------------------------------

/** Quotient and remainder of udiv128; the remainder of div64by32. */
export let qLo = 0, qHi = 0, rLo = 0, rHi = 0, rem32 = 0;

/**
 * (hi * 2^32 + lo) / d for hi < d < 2^32, unsigned: two steps of 16 quotient
 * bits, each dividend below 2^48, so the double division is exact. Returns the
 * quotient; the remainder goes to rem32.
 */
export function div64by32(hi: number, lo: number, d: number): number {
  let t = hi * 65536 + (lo >>> 16);
  const q1 = Math.floor(t / d);
  t = (t - q1 * d) * 65536 + (lo & 0xffff);
  const q0 = Math.floor(t / d);
  rem32 = t - q0 * d;
  return q1 * 65536 + q0;
}

// Long division on 16-bit digits, least significant first (Knuth, TAOCP vol. 2 §4.3.1
// algorithm D, as in Hacker's Delight "divmnu"). Scratch allocated once.
const U = new Int32Array(9), V = new Int32Array(4), Q = new Int32Array(8);

/** 128 / 64 for a divisor of 3 or 4 digits, whose quotient is known to fit in 64 bits. */
function divKnuth(xh: number, xl: number, nh: number, nl: number, dh: number, dl: number): void {
  U[0] = nl & 0xffff; U[1] = nl >>> 16; U[2] = nh & 0xffff; U[3] = nh >>> 16;
  U[4] = xl & 0xffff; U[5] = xl >>> 16; U[6] = xh & 0xffff; U[7] = xh >>> 16; U[8] = 0;
  V[0] = dl & 0xffff; V[1] = dl >>> 16; V[2] = dh & 0xffff; V[3] = dh >>> 16;
  const n = V[3] !== 0 ? 4 : 3;
  let m = 8;
  while (m > 0 && U[m - 1] === 0) m--;
  if (m < n) { qLo = qHi = 0; rLo = nl; rHi = nh; return; } // dividend < divisor (and RDX = 0)
  // Normalise so the divisor's top digit has its high bit set: then each estimated
  // quotient digit is at most 2 too large.
  const s = Math.clz32(V[n - 1]!) - 16;
  for (let k = n - 1; k > 0; k--) V[k] = ((V[k]! << s) | (V[k - 1]! >>> (16 - s))) & 0xffff;
  V[0] = (V[0]! << s) & 0xffff;
  U[m] = U[m - 1]! >>> (16 - s);
  for (let k = m - 1; k > 0; k--) U[k] = ((U[k]! << s) | (U[k - 1]! >>> (16 - s))) & 0xffff;
  U[0] = (U[0]! << s) & 0xffff;
  Q.fill(0);
  const vTop = V[n - 1]!, vNext = V[n - 2]!;
  for (let j = m - n; j >= 0; j--) {
    const num = U[j + n]! * 65536 + U[j + n - 1]!;
    let qhat = Math.floor(num / vTop), rhat = num - qhat * vTop;
    while (qhat >= 65536 || qhat * vNext > rhat * 65536 + U[j + n - 2]!) {
      qhat--;
      rhat += vTop;
      if (rhat >= 65536) break;
    }
    // Multiply and subtract; if that went negative, qhat was one too large: add back.
    let borrow = 0, t: number;
    for (let k = 0; k < n; k++) {
      const p = qhat * V[k]!;
      t = U[k + j]! - borrow - (p & 0xffff);
      U[k + j] = t & 0xffff;
      borrow = (p >>> 16) - (t >> 16);
    }
    t = U[j + n]! - borrow;
    U[j + n] = t & 0xffff;
    if (t < 0) {
      qhat--;
      let carry = 0;
      for (let k = 0; k < n; k++) {
        t = U[k + j]! + V[k]! + carry;
        U[k + j] = t & 0xffff;
        carry = t >>> 16;
      }
      U[j + n] = (U[j + n]! + carry) & 0xffff;
    }
    Q[j] = qhat;
  }
  qLo = Q[0]! | (Q[1]! << 16); qHi = Q[2]! | (Q[3]! << 16);
  rLo = remDigit(0, n, s) | (remDigit(1, n, s) << 16);
  rHi = remDigit(2, n, s) | (remDigit(3, n, s) << 16);
}

/** Digit k of the remainder, which algorithm D leaves normalised in U[0..n-1]. */
const remDigit = (k: number, n: number, s: number): number =>
  (k < n ? ((U[k]! >>> s) | (U[k + 1]! << (16 - s))) & 0xffff : 0);

/**
 * Unsigned (xh:xl:nh:nl) / (dh:dl), the dividend RDX:RAX as int32 halves, into
 * qHi:qLo and rHi:rLo. Returns false for #DE: a zero divisor, or a quotient
 * that does not fit in 64 bits (exactly when RDX >= divisor).
 */
export function udiv128(xh: number, xl: number, nh: number, nl: number, dh: number, dl: number): boolean {
  if (dh === 0) {
    const d = dl >>> 0;
    if (d === 0 || xh !== 0 || (xl >>> 0) >= d) return false;
    if (xl === 0 && (nh >>> 0) < 0x100000) {
      // A dividend below 2^52: one double division is exact (n + d <= 2^53).
      const n = (nh >>> 0) * TWO32 + (nl >>> 0), q = Math.floor(n / d), h = Math.floor(q / TWO32);
      qLo = q | 0; qHi = h; rLo = (n - q * d) | 0; rHi = 0;
      return true;
    }
    // Otherwise one 32-bit quotient digit at a time, the running remainder below d.
    if (xl === 0) {
      const h = nh >>> 0, q1 = Math.floor(h / d);
      qHi = q1 | 0;
      qLo = div64by32(h - q1 * d, nl >>> 0, d) | 0;
    } else {
      qHi = div64by32(xl >>> 0, nh >>> 0, d) | 0;
      qLo = div64by32(rem32, nl >>> 0, d) | 0;
    }
    rLo = rem32 | 0; rHi = 0;
    return true;
  }
  // A divisor of 33 bits or more: long division proper.
  if ((xh >>> 0) > (dh >>> 0) || (xh === dh && (xl >>> 0) >= (dl >>> 0))) return false;
  divKnuth(xh, xl, nh, nl, dh, dl);
  return true;
}
