/**
 * BT/BTS/BTR/BTC, BSF/BSR, TZCNT/LZCNT/POPCNT and BSWAP against this
 * machine's CPU. The memory forms with a register bit offset address a bit
 * string around the middle of a 256-byte buffer, with offsets of both signs;
 * some reach past the data page (#PF, with CR2 showing the access's address
 * and size) or, at 64 bits, past the canonical range (#GP).
 */
import { encode, type Width } from './encode.js';
import { assertSameAsCpu } from './compare.js';
import { generateForms, merge, operand, OPERAND_REGS, placeInData, setLow, type Form } from './forms.js';
import { LAYOUT } from './native.js';
import { undefinedFlags } from './undefined-flags.js';
import type { Rng } from './vectors.js';

const COUNT = 300;
const BT_OPS = ['bt', 'bts', 'btr', 'btc'] as const;
type BtOp = (typeof BT_OPS)[number];
/** 0F A3/AB/B3/BB with a register offset; 0F BA /4../7 with an imm8. */
const BT_OPCODE: Record<BtOp, number> = { bt: 0xa3, bts: 0xab, btr: 0xb3, btc: 0xbb };
const BT_DIGIT: Record<BtOp, number> = { bt: 4, bts: 5, btr: 6, btc: 7 };
const MIDDLE = LAYOUT.DATA + 128;

/** A bit offset: mostly within the buffer around MIDDLE, sometimes far off in either direction. */
function bitOffset(rng: Rng, w: Width): bigint {
  const k = rng.below(10);
  if (k < 7) return BigInt(rng.below(2048 - w) - 1024);
  if (k < 9) return BigInt.asIntN(w, operand(rng, w)); // 0, ±1, the sign boundaries, random
  return BigInt(rng.chance(0.5) ? 1 : -1) * BigInt(8 * (0x1000 + rng.below(0x10000)));
}

function btForms(op: BtOp): Record<string, Form> {
  const undef = undefinedFlags(op, 32);
  const lock = (code: Uint8Array): Uint8Array => Uint8Array.from([0xf0, ...code]);
  const forms: Record<string, Form> = {
    'r,r': (rng, w, v) => {
      const dst = rng.pick(OPERAND_REGS), off = rng.pick(OPERAND_REGS.filter((r) => r !== dst));
      setLow(v, dst, operand(rng, w), w);
      setLow(v, off, operand(rng, w), w);
      return { code: encode(w, [0x0f, BT_OPCODE[op]], { reg: off }, { reg: dst }), undefinedFlags: undef };
    },
    'r,imm8': (rng, w, v) => {
      const dst = rng.pick(OPERAND_REGS);
      setLow(v, dst, operand(rng, w), w);
      return { code: encode(w, [0x0f, 0xba], { digit: BT_DIGIT[op] }, { reg: dst }, { value: BigInt(rng.below(256)), size: 1 }), undefinedFlags: undef };
    },
    'm,r': (rng, w, v) => {
      v.data = rng.bytes(256);
      const off = rng.pick(OPERAND_REGS);
      setLow(v, off, BigInt.asUintN(w, bitOffset(rng, w)), w);
      return { code: encode(w, [0x0f, BT_OPCODE[op]], { reg: off }, { mem: MIDDLE }), undefinedFlags: undef };
    },
    'm,imm8': (rng, w, v) => {
      const mem = placeInData(rng, v, operand(rng, w), w);
      return { code: encode(w, [0x0f, 0xba], { digit: BT_DIGIT[op] }, { mem }, { value: BigInt(rng.below(256)), size: 1 }), undefinedFlags: undef };
    },
  };
  if (op !== 'bt') {
    forms['lock m,r'] = (rng, w, v) => { const f = forms['m,r']!(rng, w, v); return { ...f, code: lock(f.code) }; };
    forms['lock m,imm8'] = (rng, w, v) => { const f = forms['m,imm8']!(rng, w, v); return { ...f, code: lock(f.code) }; };
  }
  return forms;
}

const SCANS = { bsf: [0x0f, 0xbc], bsr: [0x0f, 0xbd], tzcnt: [0x0f, 0xbc], lzcnt: [0x0f, 0xbd], popcnt: [0x0f, 0xb8] } as const;
type ScanOp = keyof typeof SCANS;

/** A scan's source: zero, one bit, a boundary value or random bits of a random length. */
function scanSource(rng: Rng, w: Width): bigint {
  switch (rng.below(4)) {
    case 0: return 0n;
    case 1: return 1n << BigInt(rng.below(w));
    case 2: return operand(rng, w);
    default: return rng.bits(w) >> BigInt(rng.below(w));
  }
}

function scanForms(op: ScanOp): Record<string, Form> {
  const undef = undefinedFlags(op, 32);
  // The mandatory F3 goes before 66 and REX (REX must come last).
  const withPrefix = (code: Uint8Array): Uint8Array => (op === 'bsf' || op === 'bsr' ? code : Uint8Array.from([0xf3, ...code]));
  return {
    'r,r': (rng, w, v) => {
      const dst = rng.pick(OPERAND_REGS), src = rng.pick(OPERAND_REGS);
      setLow(v, src, scanSource(rng, w), w);
      return { code: withPrefix(encode(w, [...SCANS[op]], { reg: dst }, { reg: src })), undefinedFlags: undef };
    },
    'r,m': (rng, w, v) => {
      const dst = rng.pick(OPERAND_REGS);
      const mem = placeInData(rng, v, scanSource(rng, w), w);
      return { code: withPrefix(encode(w, [...SCANS[op]], { reg: dst }, { mem })), undefinedFlags: undef };
    },
  };
}

/** BSWAP: [66] [REX] 0F C8+r. At 16 bits the result is undefined (the host zeroes the word). */
const bswap: Form = (rng, w, v) => {
  const r = rng.pick(OPERAND_REGS);
  setLow(v, r, operand(rng, w), w);
  const rex = (w === 64 ? 8 : 0) | (r >> 3);
  const code = [...(w === 16 ? [0x66] : []), ...(rex ? [0x40 | rex] : []), 0x0f, 0xc8 + (r & 7)];
  return { code: Uint8Array.from(code), undefinedFlags: 0 };
};

describe('oracle: bit instructions', () => {
  for (const op of BT_OPS) {
    it(`${op} on registers and bit strings in memory, by register and imm8${op === 'bt' ? '' : ', with LOCK'}`, () => {
      const set = generateForms(op, [16, 32, 64], btForms(op), { count: COUNT });
      assertSameAsCpu(set.vectors, set.undefinedFlags);
    });
  }

  it('bsf, bsr, tzcnt, lzcnt and popcnt, 16/32/64 bits, sources of 0 included', () => {
    const set = merge(...(Object.keys(SCANS) as ScanOp[]).map((op) => generateForms(op, [16, 32, 64], scanForms(op), { count: COUNT })));
    assertSameAsCpu(set.vectors, set.undefinedFlags);
  });

  it('bswap on every register, 16/32/64 bits', () => {
    const set = generateForms('bswap', [16, 32, 64], { r: bswap }, { count: COUNT });
    assertSameAsCpu(set.vectors, set.undefinedFlags);
  });
});
