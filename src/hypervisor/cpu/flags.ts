/**
 * Lazy arithmetic flags.
 *
 * Most instructions that write the status flags are followed by another that
 * overwrites them before anyone reads them, so an ALU operation only records
 * its operands, result, width and kind; the six status flags are derived when a
 * Jcc, SETcc, PUSHF, ADC or similar actually asks. The technique is the one
 * Bochs and QEMU use ("condition codes computed lazily").
 *
 * Widths of 8/16/32 bits keep their values in the low halves only; 64-bit
 * operations also fill the `Hi` fields. Operations whose flags are awkward to
 * express this way (shifts, multiplies, bit scans) compute them eagerly with
 * `setStatusFlags`, which switches the state to `FlagOp.NONE`.
 */
import { ARITH_FLAGS, Flag, RFLAGS_FIXED } from './regs.js';

export const FlagOp = {
  /** `rflags` holds the status flags verbatim. */
  NONE: 0,
  ADD: 1,
  /** ADD with a carry-in of 1 (ADC when CF was set). */
  ADC: 2,
  SUB: 3,
  /** SUB with a borrow-in of 1 (SBB when CF was set). */
  SBB: 4,
  /** AND/OR/XOR/TEST: CF = OF = 0 (SDM Vol. 2 "AND": AF undefined; we give 0). */
  LOGIC: 5,
  /** INC/DEC: like ADD/SUB by one, but CF is preserved in `savedCF`. */
  INC: 6,
  DEC: 7,
} as const;
export type FlagOp = (typeof FlagOp)[keyof typeof FlagOp];

/** The fields of the CPU that hold the lazy-flag state. */
export interface LazyFlags {
  rflags: number;
  fOp: number;
  /** Operation width in bits: 8, 16, 32 or 64. */
  fSize: number;
  fDst: number; fDstHi: number;
  fSrc: number; fSrcHi: number;
  fRes: number; fResHi: number;
  /** CF preserved across INC/DEC. */
  savedCF: number;
}

const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let bits = 0;
  for (let b = i; b; b >>= 1) bits += b & 1;
  PARITY[i] = (bits & 1) === 0 ? 1 : 0;
}

/** Mask of a width's value bits; width 32 gives -1 so that `x & mask` is `x | 0`. */
const maskOf = (size: number): number => (size >= 32 ? -1 : (1 << size) - 1);

export function getCF(f: LazyFlags): number {
  const s = f.fSize;
  switch (f.fOp) {
    case FlagOp.NONE: return f.rflags & Flag.CF;
    case FlagOp.LOGIC: return 0;
    case FlagOp.INC: case FlagOp.DEC: return f.savedCF;
  }
  if (s === 64) {
    const dh = f.fDstHi >>> 0;
    switch (f.fOp) {
      case FlagOp.ADD: return ltu64(f.fResHi >>> 0, f.fRes >>> 0, dh, f.fDst >>> 0) ? 1 : 0;
      case FlagOp.ADC: return ltu64(f.fResHi >>> 0, f.fRes >>> 0, dh, f.fDst >>> 0) || (f.fRes === f.fDst && f.fResHi === f.fDstHi) ? 1 : 0;
      case FlagOp.SUB: return ltu64(dh, f.fDst >>> 0, f.fSrcHi >>> 0, f.fSrc >>> 0) ? 1 : 0;
      default /* SBB */: return ltu64(dh, f.fDst >>> 0, f.fSrcHi >>> 0, f.fSrc >>> 0) || (f.fDst === f.fSrc && f.fDstHi === f.fSrcHi) ? 1 : 0;
    }
  }
  const m = maskOf(s);
  const d = (f.fDst & m) >>> 0, r = (f.fRes & m) >>> 0, src = (f.fSrc & m) >>> 0;
  switch (f.fOp) {
    case FlagOp.ADD: return r < d ? 1 : 0;
    case FlagOp.ADC: return r <= d ? 1 : 0;
    case FlagOp.SUB: return d < src ? 1 : 0;
    default /* SBB */: return d <= src ? 1 : 0;
  }
}

const ltu64 = (ah: number, al: number, bh: number, bl: number): boolean =>
  ah < bh || (ah === bh && al < bl);

export function getZF(f: LazyFlags): number {
  if (f.fOp === FlagOp.NONE) return (f.rflags >> 6) & 1;
  if (f.fSize === 64) return (f.fRes | f.fResHi) === 0 ? 1 : 0;
  return (f.fRes & maskOf(f.fSize)) === 0 ? 1 : 0;
}

export function getSF(f: LazyFlags): number {
  if (f.fOp === FlagOp.NONE) return (f.rflags >> 7) & 1;
  if (f.fSize === 64) return f.fResHi >>> 31;
  return (f.fRes >>> (f.fSize - 1)) & 1;
}

export function getPF(f: LazyFlags): number {
  if (f.fOp === FlagOp.NONE) return (f.rflags >> 2) & 1;
  return PARITY[f.fRes & 0xff]!;
}

export function getAF(f: LazyFlags): number {
  switch (f.fOp) {
    case FlagOp.NONE: return (f.rflags >> 4) & 1;
    case FlagOp.LOGIC: return 0;
    default: return ((f.fDst ^ f.fSrc ^ f.fRes) >> 4) & 1;
  }
}

export function getOF(f: LazyFlags): number {
  const op = f.fOp;
  if (op === FlagOp.NONE) return (f.rflags >> 11) & 1;
  if (op === FlagOp.LOGIC) return 0;
  const top = f.fSize === 64 ? 31 : f.fSize - 1;
  const d = f.fSize === 64 ? f.fDstHi : f.fDst;
  const s = f.fSize === 64 ? f.fSrcHi : f.fSrc;
  const r = f.fSize === 64 ? f.fResHi : f.fRes;
  if (op === FlagOp.ADD || op === FlagOp.ADC || op === FlagOp.INC) return (((d ^ r) & (s ^ r)) >>> top) & 1;
  return (((d ^ s) & (d ^ r)) >>> top) & 1;
}

/** The full RFLAGS value with the status flags materialised. */
export function readRflags(f: LazyFlags): number {
  if (f.fOp === FlagOp.NONE) return f.rflags | RFLAGS_FIXED;
  return ((f.rflags & ~ARITH_FLAGS) | RFLAGS_FIXED |
    getCF(f) | (getPF(f) << 2) | (getAF(f) << 4) | (getZF(f) << 6) | (getSF(f) << 7) | (getOF(f) << 11)) >>> 0;
}

/**
 * Replace all six status flags (bits outside ARITH_FLAGS are kept). Nothing
 * lazy needs settling first: only the status flags are ever lazy.
 */
export function setStatusFlags(f: LazyFlags, bits: number): void {
  f.rflags = (f.rflags & ~ARITH_FLAGS) | (bits & ARITH_FLAGS);
  f.fOp = FlagOp.NONE;
}

/** Materialise the lazy state into `rflags` (used before writing single status bits). */
export function settleFlags(f: LazyFlags): void {
  if (f.fOp !== FlagOp.NONE) {
    f.rflags = readRflags(f);
    f.fOp = FlagOp.NONE;
  }
}

export const parity = (byte: number): number => PARITY[byte & 0xff]!;

/**
 * Evaluate condition code `cc` (the low nibble of Jcc/SETcc/CMOVcc), SDM Vol. 1
 * appendix B table B-1.
 */
export function testCondition(f: LazyFlags, cc: number): boolean {
  let r: boolean;
  switch (cc >> 1) {
    case 0: r = getOF(f) !== 0; break;                       // O
    case 1: r = getCF(f) !== 0; break;                       // B/C
    case 2: r = getZF(f) !== 0; break;                       // Z/E
    case 3: r = (getCF(f) | getZF(f)) !== 0; break;          // BE
    case 4: r = getSF(f) !== 0; break;                       // S
    case 5: r = getPF(f) !== 0; break;                       // P
    case 6: r = getSF(f) !== getOF(f); break;                // L
    default: r = getZF(f) !== 0 || getSF(f) !== getOF(f);    // LE
  }
  return (cc & 1) !== 0 ? !r : r;
}
