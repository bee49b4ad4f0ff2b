/**
 * The eight classic ALU operations (ADD OR ADC SBB AND SUB XOR CMP, in opcode
 * order: SDM Vol. 2 appendix A, one-byte opcodes 00-3F and group 1) plus INC,
 * DEC and NEG, recording lazy flags. `alu` handles widths up to 32 bits;
 * `alu64` takes and returns halves (high half of the result in `cpu.vhi`).
 */
import type { Cpu } from './cpu.js';
import { FlagOp, getCF } from './flags.js';

export const AluOp = { ADD: 0, OR: 1, ADC: 2, SBB: 3, AND: 4, SUB: 5, XOR: 6, CMP: 7 } as const;
export type AluOp = (typeof AluOp)[keyof typeof AluOp];
export const ALU_NAMES = ['ADD', 'OR', 'ADC', 'SBB', 'AND', 'SUB', 'XOR', 'CMP'] as const;

/** `a op b` at `bits` (8, 16 or 32); the result is masked to the width. */
export function alu(c: Cpu, op: number, bits: number, a: number, b: number): number {
  let r: number, fop: number;
  switch (op) {
    case AluOp.ADD: r = a + b; fop = FlagOp.ADD; break;
    case AluOp.OR: r = a | b; fop = FlagOp.LOGIC; break;
    case AluOp.ADC: { const cf = getCF(c); r = a + b + cf; fop = cf ? FlagOp.ADC : FlagOp.ADD; break; }
    case AluOp.SBB: { const cf = getCF(c); r = a - b - cf; fop = cf ? FlagOp.SBB : FlagOp.SUB; break; }
    case AluOp.AND: r = a & b; fop = FlagOp.LOGIC; break;
    case AluOp.XOR: r = a ^ b; fop = FlagOp.LOGIC; break;
    default /* SUB, CMP */: r = a - b; fop = FlagOp.SUB;
  }
  r = bits === 32 ? r | 0 : r & ((1 << bits) - 1);
  c.fOp = fop; c.fSize = bits; c.fDst = a; c.fSrc = b; c.fRes = r;
  return r;
}

/** 64-bit `a op b`; returns the low half, high half in `c.vhi`. */
export function alu64(c: Cpu, op: number, alo: number, ahi: number, blo: number, bhi: number): number {
  let lo: number, hi: number, fop: number;
  switch (op) {
    case AluOp.ADD: case AluOp.ADC: {
      const cin = op === AluOp.ADC ? getCF(c) : 0;
      const s = (alo >>> 0) + (blo >>> 0) + cin;
      lo = s | 0;
      hi = (ahi + bhi + (s > 0xffffffff ? 1 : 0)) | 0;
      fop = cin ? FlagOp.ADC : FlagOp.ADD;
      break;
    }
    case AluOp.SUB: case AluOp.SBB: case AluOp.CMP: {
      const bin = op === AluOp.SBB ? getCF(c) : 0;
      const s = (alo >>> 0) - (blo >>> 0) - bin;
      lo = s | 0;
      hi = (ahi - bhi - (s < 0 ? 1 : 0)) | 0;
      fop = bin ? FlagOp.SBB : FlagOp.SUB;
      break;
    }
    case AluOp.OR: lo = alo | blo; hi = ahi | bhi; fop = FlagOp.LOGIC; break;
    case AluOp.AND: lo = alo & blo; hi = ahi & bhi; fop = FlagOp.LOGIC; break;
    default /* XOR */: lo = alo ^ blo; hi = ahi ^ bhi; fop = FlagOp.LOGIC;
  }
  c.fOp = fop; c.fSize = 64;
  c.fDst = alo; c.fDstHi = ahi; c.fSrc = blo; c.fSrcHi = bhi; c.fRes = lo; c.fResHi = hi;
  c.vhi = hi;
  return lo;
}

/** INC (dec = false) or DEC at any width; CF is preserved (SDM Vol. 2 "INC"). */
export function incdec(c: Cpu, dec: boolean, bits: number, a: number, ahi: number): number {
  const cf = getCF(c);
  let r: number;
  if (bits === 64) {
    r = alu64(c, dec ? AluOp.SUB : AluOp.ADD, a, ahi, 1, 0);
  } else {
    r = alu(c, dec ? AluOp.SUB : AluOp.ADD, bits, a, 1);
  }
  c.savedCF = cf;
  c.fOp = dec ? FlagOp.DEC : FlagOp.INC;
  return r;
}
