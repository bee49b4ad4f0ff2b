/**
 * Source-text building blocks for instruction emitters. Generated code sees
 * these names (bound by block-compiler.ts):
 *
 *   c   the Cpu            lo, hi   c.lo and c.hi (register halves)
 *   m   c.mmu              H        the helper functions in helpers.ts
 *   $I  this instruction's Insn (rewritten to I[k])
 *   $RET  leave the block after this instruction (rewritten to `return k + 1`)
 *
 * Emitters only produce text for the forms they can express exactly; any
 * other instance returns undefined and runs through its `exec` closure.
 */
import { CANON } from '../decode/ea.js';
import { RIP_BASE, SEG_ZERO, type Insn } from '../insn.js';

const TWO32 = 4294967296;

/** A register's 64-bit value as a double (exact for canonical addresses). */
export const reg64 = (r: number): string => `(hi[${r}] * ${TWO32} + (lo[${r}] >>> 0))`;

/**
 * Statements computing the memory operand's linear address into `a`, with the
 * canonical check; undefined for address sizes other than 64.
 */
export function eaCode(i: Insn): string | undefined {
  if (i.adsize !== 8 || i.ea === null) return undefined;
  const parts: string[] = [];
  if (i.base === RIP_BASE) parts.push(String(i.disp));
  else {
    if (i.base >= 0) parts.push(reg64(i.base));
    if (i.index >= 0) parts.push(`${reg64(i.index)} * ${1 << i.scale}`);
    if (i.disp !== 0 || parts.length === 0) parts.push(String(i.disp));
  }
  if (i.seg !== SEG_ZERO) parts.push(`c.segBase[${i.seg}]`);
  const constant = i.base === RIP_BASE || (i.base < 0 && i.index < 0);
  if (constant && i.seg === SEG_ZERO) {
    // Known at compile time: a non-canonical constant address has no inline form.
    if (i.disp < -CANON || i.disp >= CANON) return undefined;
    return `const a = ${parts.join(' + ')};`;
  }
  return `const a = ${parts.join(' + ')}; if (a < ${-CANON} || a >= ${CANON}) H.nonCanonical($I);`;
}

/** Read the r/m operand (register `i.rm` or memory at `a`) of 4 or 8 bytes into `v` / `vh`. */
export function readRm(i: Insn, size: 4 | 8, forWrite = false): string {
  if (i.ea === null) return size === 8 ? `const v = lo[${i.rm}], vh = hi[${i.rm}];` : `const v = lo[${i.rm}];`;
  const w = forWrite ? 'W' : '';
  return size === 8 ? `const v = m.read${w}64(a), vh = m.hi;` : `const v = m.read${w}32(a);`;
}

/** Write `r` (and `rh`) to the r/m operand. */
export function writeRm(i: Insn, size: 4 | 8): string {
  if (i.ea === null) return size === 8 ? `lo[${i.rm}] = r; hi[${i.rm}] = rh;` : `lo[${i.rm}] = r; hi[${i.rm}] = 0;`;
  return size === 8 ? 'm.write64(a, r, rh);' : 'm.write32(a, r);';
}

/** Record lazy flags (flags.ts) for a result `r` of `op` at 32 bits. */
export const flags32 = (op: number, d: string, s: string): string =>
  `c.fOp = ${op}; c.fSize = 32; c.fDst = ${d}; c.fSrc = ${s}; c.fRes = r;`;

/** Record lazy flags for a 64-bit result `r`/`rh`. */
export const flags64 = (op: number, d: string, dh: string, s: string, sh: string): string =>
  `c.fOp = ${op}; c.fSize = 64; c.fDst = ${d}; c.fDstHi = ${dh}; c.fSrc = ${s}; c.fSrcHi = ${sh}; c.fRes = r; c.fResHi = rh;`;
