/**
 * MUL, IMUL (one, two and three operands), DIV, IDIV and CBW/CWD and their
 * wider forms against this machine's CPU. Beyond genUnary's random operands,
 * the divisions get dividends built as q * d + r from a chosen quotient, so
 * that quotients sit right at the edge of fitting (and just past it: #DE),
 * and divisors of every magnitude class the emulator's fast paths split on.
 */
import { Reg, UNARY_OPS, encode, type Width } from './encode.js';
import { assertSameAsCpu } from './compare.js';
import { generateForms, operand, OPERAND_REGS, placeInData, setLow, type Form } from './forms.js';
import { genTemplates } from './templates.js';
import { undefinedFlags } from './undefined-flags.js';
import { genUnary, type Rng } from './vectors.js';

const WIDTHS: Width[] = [8, 16, 32, 64];
const COUNT = 300;
const MUL_UNDEFINED = undefinedFlags('imul', 32);

/** IMUL r, r/m (0F AF); IMUL r, r/m, imm (69 iw/id, 6B ib). */
const imulForms = (): Record<string, Form> => {
  const build = (mem: boolean, imm: 0 | 1 | 4): Form => (rng, w, v) => {
    const dst = rng.pick(OPERAND_REGS), src = rng.pick(OPERAND_REGS);
    setLow(v, dst, operand(rng, w), w);
    if (!mem) setLow(v, src, operand(rng, w), w);
    const rm = mem ? { mem: placeInData(rng, v, operand(rng, w), w) } : { reg: src };
    const size = imm === 4 && w === 16 ? 2 : imm;
    const code = imm === 0 ? encode(w, [0x0f, 0xaf], { reg: dst }, rm)
      : encode(w, [imm === 1 ? 0x6b : 0x69], { reg: dst }, rm, { value: operand(rng, (size * 8) as Width), size: size as 1 | 2 | 4 });
    return { code, undefinedFlags: MUL_UNDEFINED };
  };
  return { 'r,r': build(false, 0), 'r,m': build(true, 0), 'r,r,imm': build(false, 4), 'r,r,imm8': build(false, 1), 'r,m,imm8': build(true, 1) };
};

/** A divisor of `w` bits from a class: tiny, 16-bit, 32-bit, exactly 2^32, wider, top bit set, or an edge value. */
function divisor(rng: Rng, w: Width): bigint {
  const bits = BigInt(w);
  switch (rng.below(7)) {
    case 0: return BigInt(1 + rng.below(16));
    case 1: return BigInt(rng.below(65536));
    case 2: return rng.bits(32) & ((1n << bits) - 1n);
    case 3: return w === 64 ? 1n << 32n : 1n << (bits - 1n);
    case 4: return rng.bits(w) >> BigInt(rng.below(w));
    case 5: return rng.bits(w) | (1n << (bits - 1n));
    default: return operand(rng, w);
  }
}

/** A quotient near where it stops fitting (`limit` is the largest that does), or anywhere. */
function quotient(rng: Rng, limit: bigint): bigint {
  const k = rng.below(5);
  if (k === 0) return limit - BigInt(rng.below(3));
  if (k === 1) return limit + 1n + BigInt(rng.below(2)); // #DE
  if (k === 2) return BigInt(rng.below(3));
  return (rng.bits(128) >> BigInt(rng.below(128))) % (limit + 1n);
}

/** DIV/IDIV r/m with rDX:rAX (AX for bytes) = q * d + r. */
const divForms = (signed: boolean): Record<string, Form> => {
  const build = (mem: boolean): Form => (rng, w, v) => {
    const bits = BigInt(w), mask = (1n << bits) - 1n;
    let d = divisor(rng, w);
    if (signed && rng.chance(0.5)) d = -BigInt.asIntN(w, d);
    const dv = signed ? BigInt.asIntN(w, d) : BigInt.asUintN(w, d);
    const negQ = signed && rng.chance(0.5);
    const limit = signed ? (negQ ? 1n << (bits - 1n) : (1n << (bits - 1n)) - 1n) : mask;
    let q = quotient(rng, limit);
    if (negQ) q = -q;
    const ad = dv < 0n ? -dv : dv;
    let r = ad === 0n ? 0n : BigInt.asUintN(w, rng.bits(w)) % ad;
    // The remainder takes the dividend's sign: that of q * d, when q is not 0.
    if (signed && q !== 0n && (q < 0n) !== (dv < 0n)) r = -r;
    let n = ad === 0n ? rng.bits(2 * w) : q * dv + r;
    n = BigInt.asUintN(2 * w, n);
    const lo = n & mask, hi = n >> bits;
    if (w === 8) setLow(v, Reg.RAX, n, 16);
    else { setLow(v, Reg.RAX, lo, w); setLow(v, Reg.RDX, hi, w); }
    const pool = OPERAND_REGS.filter((x) => x !== Reg.RAX && x !== Reg.RDX && (w !== 8 || x >= 8 || x < 4));
    const src = rng.pick(pool);
    if (!mem) setLow(v, src, BigInt.asUintN(w, dv), w);
    const rm = mem ? { mem: placeInData(rng, v, BigInt.asUintN(w, dv), w) } : { reg: src };
    const code = encode(w, [w === 8 ? 0xf6 : 0xf7], { digit: UNARY_OPS[signed ? 'idiv' : 'div'] }, rm);
    return { code, undefinedFlags: undefinedFlags('div', w) };
  };
  return { r: build(false), m: build(true) };
};

describe('oracle: multiply and divide', () => {
  for (const op of ['mul', 'imul', 'div', 'idiv'] as const) {
    it(`${op} on registers and memory, every width`, () => {
      assertSameAsCpu(WIDTHS.flatMap((w) => genUnary(op, w, { count: COUNT })), () => undefinedFlags(op, 32));
    });
  }

  it('imul with two and three operands, 16/32/64 bits', () => {
    const set = generateForms('imul2', [16, 32, 64], imulForms(), { count: COUNT });
    assertSameAsCpu(set.vectors, set.undefinedFlags);
  });

  for (const signed of [false, true]) {
    it(`${signed ? 'idiv' : 'div'} with quotients at the edge of fitting and divisors of every size`, () => {
      const set = generateForms(signed ? 'idiv-edge' : 'div-edge', WIDTHS, divForms(signed), { count: 2 * COUNT });
      assertSameAsCpu(set.vectors, set.undefinedFlags);
    });
  }

  it('cbw, cwde, cdqe, cwd, cdq, cqo', () => {
    assertSameAsCpu(genTemplates('cbw', ['cbw', 'cwde', 'cdqe', 'cwd', 'cdq', 'cqo'], { count: 50 }), () => 0);
  });
});
