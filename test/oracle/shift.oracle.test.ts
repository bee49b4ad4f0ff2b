/**
 * Group 2 shifts and rotates and SHLD/SHRD against this machine's CPU: every
 * form (by 1, CL and imm8; register, memory, AH..BH; the /6 alias of SHL) at
 * every width, with counts at every boundary (0, 1, width - 1, width, width + 1,
 * the 5- and 6-bit masks) and operands at the sign boundaries. Flags are
 * masked per vector, by its count, as the SDM's "Flags Affected" says.
 */
import { Reg, SHIFT_OPS, encode, type ShiftOp, type Width } from './encode.js';
import { assertSameAsCpu } from './compare.js';
import { generateForms, merge, operand, OPERAND_REGS, placeInData, setLow, type Form } from './forms.js';
import type { Vector } from './native.js';
import { undefinedFlags } from './undefined-flags.js';
import { genShift, shiftCount } from './vectors.js';

const WIDTHS: Width[] = [8, 16, 32, 64];
const COUNT = 300;
const sized = (opcode: number, w: Width): number => (w === 8 ? opcode : opcode + 1);

/** The raw count of a vector from genShift, read back from its form. */
function countOf(v: Vector): number {
  if (/ [rm],cl /.test(v.name)) return Number(v.regs[Reg.RCX]! & 0xffn);
  if (/ r,1 /.test(v.name)) return 1;
  return v.code[v.code.length - 1]!;
}

/** The forms genShift leaves out: memory by 1 and by imm8, and SHL's /6 alias. */
function extraForms(op: ShiftOp): Record<string, Form> {
  const digit = SHIFT_OPS[op];
  return {
    'm,1': (rng, w, v) => ({
      code: encode(w, [sized(0xd0, w)], { digit }, { mem: placeInData(rng, v, operand(rng, w), w) }),
      undefinedFlags: undefinedFlags(op, w, 1),
    }),
    'm,imm8': (rng, w, v) => {
      const n = shiftCount(rng, w);
      const mem = placeInData(rng, v, operand(rng, w), w);
      return { code: encode(w, [sized(0xc0, w)], { digit }, { mem }, { value: BigInt(n), size: 1 }), undefinedFlags: undefinedFlags(op, w, n) };
    },
  };
}

/** D2 /op with AH, CH, DH or BH (no REX), by CL. */
const highByte = (op: ShiftOp): Form => (rng, _w, v) => {
  const r = 4 + rng.below(4), n = shiftCount(rng, 8);
  setLow(v, r - 4, operand(rng, 16), 16);
  setLow(v, Reg.RCX, BigInt(n), 8); // with CH as the operand, CL still counts
  return { code: Uint8Array.from([0xd2, 0xc0 | (SHIFT_OPS[op] << 3) | r]), undefinedFlags: undefinedFlags(op, 8, n) };
};

const sal6: Form = (rng, w, v) => {
  const r = rng.pick(OPERAND_REGS.filter((x) => x !== Reg.RCX)), n = shiftCount(rng, w);
  setLow(v, r, operand(rng, w), w);
  setLow(v, Reg.RCX, BigInt(n), 8);
  return { code: encode(w, [sized(0xd2, w)], { digit: 6 }, { reg: r }), undefinedFlags: undefinedFlags('sal', w, n) };
};

/** SHLD (0F A4 ib / A5 CL) or SHRD (0F AC / AD) on registers (sometimes the same one) and memory. */
function doubleForms(left: boolean): Record<string, Form> {
  const m = left ? 'shld' : 'shrd', imm = left ? 0xa4 : 0xac;
  const build = (byCl: boolean, toMem: boolean): Form => (rng, w, v) => {
    const pool = OPERAND_REGS.filter((x) => !byCl || x !== Reg.RCX);
    const src = rng.pick(pool), n = shiftCount(rng, w);
    setLow(v, src, operand(rng, w), w);
    let dst: { reg: number } | { mem: number };
    if (toMem) dst = { mem: placeInData(rng, v, operand(rng, w), w) };
    else {
      dst = { reg: rng.chance(1 / 8) ? src : rng.pick(pool.filter((x) => x !== src)) };
      if (dst.reg !== src) setLow(v, dst.reg, operand(rng, w), w);
    }
    if (byCl) setLow(v, Reg.RCX, BigInt(n), 8);
    const code = byCl ? encode(w, [0x0f, imm + 1], { reg: src }, dst) : encode(w, [0x0f, imm], { reg: src }, dst, { value: BigInt(n), size: 1 });
    return { code, undefinedFlags: undefinedFlags(m, w, n) };
  };
  return { 'r,r,imm8': build(false, false), 'r,r,cl': build(true, false), 'm,r,imm8': build(false, true), 'm,r,cl': build(true, true) };
}

describe('oracle: shifts and rotates', () => {
  for (const op of Object.keys(SHIFT_OPS) as ShiftOp[]) {
    it(`${op} by 1, CL and imm8 on registers, memory and AH..BH, every width`, () => {
      const gen = WIDTHS.flatMap((w) => genShift(op, w, { count: COUNT }));
      const set = merge(
        { vectors: gen, undefinedFlags: (v) => undefinedFlags(op, Number(/^[a-z]+(\d+)/.exec(v.name)![1]) as Width, countOf(v)) },
        generateForms(op, WIDTHS, extraForms(op), { count: COUNT }),
        generateForms(`${op}-high`, [8], { 'ah..bh,cl': highByte(op) }, { count: COUNT }),
      );
      assertSameAsCpu(set.vectors, set.undefinedFlags);
    });
  }

  it('SAL as /6, an alias of SHL', () => {
    const set = generateForms('sal6', WIDTHS, { 'r,cl': sal6 }, { count: COUNT });
    assertSameAsCpu(set.vectors, set.undefinedFlags);
  });

  for (const left of [true, false]) {
    it(`${left ? 'shld' : 'shrd'} by imm8 and CL on registers and memory, 16/32/64 bits`, () => {
      const set = generateForms(left ? 'shld' : 'shrd', [16, 32, 64], doubleForms(left), { count: COUNT });
      assertSameAsCpu(set.vectors, set.undefinedFlags);
    });
  }
});
