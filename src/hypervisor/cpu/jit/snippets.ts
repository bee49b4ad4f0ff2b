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
 * Values follow the interpreter's conventions: 32-bit halves as int32.
 */
import { CANON } from '../decode/ea.js';
import { FlagOp } from '../flags.js';
import { RIP_BASE, SEG_ZERO, type Insn } from '../insn.js';

const TWO32 = 4294967296;

/** A register's 64-bit value as a double (exact for canonical addresses). */
const reg64 = (r: number): string => `(hi[${r}] * ${TWO32} + (lo[${r}] >>> 0))`;

/**
 * A statement computing the memory operand's linear address into `a`, with the
 * canonical check; undefined where there is no inline form (other address sizes).
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
    if (i.disp < -CANON || i.disp >= CANON) return undefined; // the interpreter raises the fault
    return `const a = ${parts.join(' + ')};`;
  }
  return `const a = ${parts.join(' + ')}; if (a < ${-CANON} || a >= ${CANON}) H.nonCanonical($I);`;
}

/**
 * Statements defining `name` (and `name`h for 8 bytes) from the r/m operand.
 * Memory operands need `a` (eaCode) first; `forWrite` checks write permission
 * for read-modify-write forms.
 */
export function loadRm(i: Insn, size: 4 | 8, name: string, forWrite = false): string {
  if (i.ea === null) return size === 8 ? `const ${name} = lo[${i.rm}], ${name}h = hi[${i.rm}];` : `const ${name} = lo[${i.rm}];`;
  const w = forWrite ? 'W' : '';
  return size === 8 ? `const ${name} = m.read${w}64(a), ${name}h = m.hi;` : `const ${name} = m.read${w}32(a);`;
}

/** Statements defining `name` (and `name`h) from register `r`. */
export const loadReg = (r: number, size: 4 | 8, name: string): string =>
  size === 8 ? `const ${name} = lo[${r}], ${name}h = hi[${r}];` : `const ${name} = lo[${r}];`;

/** Store `r` (and `rh`) to the r/m operand. */
export function storeRm(i: Insn, size: 4 | 8): string {
  if (i.ea === null) return storeReg(i.rm, size);
  return size === 8 ? 'm.write64(a, r, rh);' : 'm.write32(a, r);';
}

/** Store `r` (and `rh`) to register `reg`; 32-bit writes zero the upper half. */
export const storeReg = (reg: number, size: 4 | 8): string =>
  size === 8 ? `lo[${reg}] = r; hi[${reg}] = rh;` : `lo[${reg}] = r; hi[${reg}] = 0;`;

/**
 * `r` (and `rh`) = `d op s` for ADD, SUB (also CMP), AND, OR, XOR, with the lazy
 * flags recorded as alu.ts records them. ADC/SBB have no inline form.
 */
export function aluCode(op: 'add' | 'sub' | 'and' | 'or' | 'xor', size: 4 | 8): string {
  const logic = op === 'and' || op === 'or' || op === 'xor';
  const sym = op === 'and' ? '&' : op === 'or' ? '|' : '^';
  if (size === 4) {
    if (logic) return `const r = d ${sym} s; c.fOp = ${FlagOp.LOGIC}; c.fSize = 32; c.fRes = r;`;
    const fop = op === 'add' ? FlagOp.ADD : FlagOp.SUB;
    return `const r = (d ${op === 'add' ? '+' : '-'} s) | 0; c.fOp = ${fop}; c.fSize = 32; c.fDst = d; c.fSrc = s; c.fRes = r;`;
  }
  if (logic) return `const r = d ${sym} s, rh = dh ${sym} sh; c.fOp = ${FlagOp.LOGIC}; c.fSize = 64; c.fRes = r; c.fResHi = rh;`;
  const flags = 'c.fSize = 64; c.fDst = d; c.fDstHi = dh; c.fSrc = s; c.fSrcHi = sh; c.fRes = r; c.fResHi = rh;';
  if (op === 'add') {
    return `const t = (d >>> 0) + (s >>> 0), r = t | 0, rh = (dh + sh + (t > ${TWO32 - 1} ? 1 : 0)) | 0; c.fOp = ${FlagOp.ADD}; ${flags}`;
  }
  return `const t = (d >>> 0) - (s >>> 0), r = t | 0, rh = (dh - sh - (t < 0 ? 1 : 0)) | 0; c.fOp = ${FlagOp.SUB}; ${flags}`;
}
