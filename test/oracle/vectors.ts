/**
 * Seeded, reproducible generators of instruction vectors. Each generator draws
 * from its own stream (seed + op + width), so adding a generator never changes
 * the vectors of another, and a vector's name says how to get it back.
 *
 * Operands mix boundary values (where carries, overflows and sign changes
 * happen) with uniformly random ones; every register the instruction does
 * not name is random too, so writes that spill past the operand width or
 * fail to zero-extend show up.
 */
import {
  alu, aluImm, aluImm8, aluLoad, le, Reg, shift1, shiftCl, shiftImm, unary,
  type AluOp, type RM, type ShiftOp, type UnaryOp, type Width,
} from './encode.js';
import { LAYOUT, STATUS_FLAGS, type Vector } from './native.js';

/** mulberry32 (Tommy Ettinger): tiny, fast and good enough for test inputs. */
export class Rng {
  private state: number;

  constructor(seed: number, stream = '') {
    this.state = (seed ^ fnv1a(stream)) >>> 0;
  }

  u32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.u32() / 2 ** 32) * n);
  }

  chance(p: number): boolean {
    return this.u32() < p * 2 ** 32;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)];
  }

  /** A uniformly random value of `width` bits. */
  bits(width: number): bigint {
    let x = 0n;
    for (let n = 0; n < width; n += 32) x = (x << 32n) | BigInt(this.u32());
    return BigInt.asUintN(width, x);
  }

  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.u32() & 0xff);
  }
}

/** FNV-1a, to turn a stream name into part of a seed. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** 0, ±1 and the two sides of the sign boundary, as unsigned `width`-bit values. */
export function edgeValues(width: Width): bigint[] {
  const max = (1n << BigInt(width)) - 1n;
  const signBit = 1n << BigInt(width - 1);
  return [0n, 1n, 2n, signBit - 2n, signBit - 1n, signBit, signBit + 1n, max - 1n, max];
}

/** An operand: a boundary value half of the time, uniformly random otherwise. */
export function operand(rng: Rng, width: Width): bigint {
  return rng.chance(0.5) ? rng.pick(edgeValues(width)) : rng.bits(width);
}

/**
 * Counts at every boundary a shift cares about: 0 and 1 (flags), the width
 * and one past it (CF, and RCL/RCR's rotate through CF), and the 5- and 6-bit
 * masking of the count register.
 */
export function shiftCounts(width: Width): number[] {
  const counts = [0, 1, 2, width - 1, width, width + 1, 31, 32, 33, 63, 64, 65, 255];
  return [...new Set(counts)].sort((a, b) => a - b);
}

/** A count for CL or an imm8: a boundary count half of the time, any byte otherwise. */
export function shiftCount(rng: Rng, width: Width): number {
  return rng.chance(0.5) ? rng.pick(shiftCounts(width)) : rng.below(256);
}

/** x with its low `width` bits replaced by value: how a `width`-bit operand sits in a register. */
export function withLow(x: bigint, value: bigint, width: Width): bigint {
  return ((x >> BigInt(width)) << BigInt(width)) | BigInt.asUintN(width, value);
}

/** A vector with random registers (RSP at LAYOUT.STACK_TOP), status flags and 16 data bytes. */
export function randomVector(rng: Rng, name: string, code: Uint8Array = new Uint8Array(0)): Vector {
  const regs = Array.from({ length: 16 }, () => rng.bits(64));
  regs[Reg.RSP] = BigInt(LAYOUT.STACK_TOP);
  return { name, code, regs, rflags: rng.u32() & STATUS_FLAGS, data: rng.bytes(16) };
}

/** Registers a generator may give operands: all but RSP, which stays on the stack. */
const OPERAND_REGS = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

export interface GenOptions {
  seed?: number;
  /** Vectors per form. */
  count?: number;
}

/** One form of an instruction: puts operand values into the vector and returns the code. */
type Form = (rng: Rng, width: Width, v: Vector) => Uint8Array;

/** Put a `width`-bit value in a register, keeping its random upper bits. */
function setReg(v: Vector, r: number, value: bigint, width: Width): void {
  v.regs[r] = withLow(v.regs[r], value, width);
}

/** Put a `width`-bit value in the data buffer, at a random and possibly misaligned offset; returns its operand. */
function setMem(rng: Rng, v: Vector, value: bigint, width: Width): RM {
  const offset = rng.below(v.data.length - width / 8 + 1);
  v.data.set(le(value, width / 8), offset);
  return { mem: LAYOUT.DATA + offset };
}

function generate(family: string, forms: Record<string, Form>, width: Width, { seed = 1, count = 200 }: GenOptions): Vector[] {
  const rng = new Rng(seed, `${family}/${width}`);
  const out: Vector[] = [];
  for (const [form, build] of Object.entries(forms)) {
    for (let i = 0; i < count; i++) {
      const v = randomVector(rng, `${family}${width} ${form} #${i} (seed ${seed})`);
      v.code = build(rng, width, v);
      out.push(v);
    }
  }
  return out;
}

/** Two operand registers, now and then the same one (xor eax, eax and friends). */
function twoRegs(rng: Rng): [number, number] {
  const a = rng.pick(OPERAND_REGS);
  return [a, rng.chance(1 / 8) ? a : rng.pick(OPERAND_REGS.filter((r) => r !== a))];
}

/** Vectors for a group-1 ALU op in every form: r/m,reg; reg,r/m; r/m,imm; r/m,imm8. */
export function genBinary(op: AluOp, width: Width, opts: GenOptions = {}): Vector[] {
  const forms: Record<string, Form> = {
    'r,r': (rng, w, v) => {
      const [d, s] = twoRegs(rng);
      setReg(v, d, operand(rng, w), w);
      if (s !== d) setReg(v, s, operand(rng, w), w);
      return alu(op, w, { reg: d }, s);
    },
    'm,r': (rng, w, v) => {
      const s = rng.pick(OPERAND_REGS);
      setReg(v, s, operand(rng, w), w);
      return alu(op, w, setMem(rng, v, operand(rng, w), w), s);
    },
    'r,m': (rng, w, v) => {
      const d = rng.pick(OPERAND_REGS);
      setReg(v, d, operand(rng, w), w);
      return aluLoad(op, w, d, setMem(rng, v, operand(rng, w), w));
    },
    'r,imm': (rng, w, v) => {
      const d = rng.pick(OPERAND_REGS);
      setReg(v, d, operand(rng, w), w);
      return aluImm(op, w, { reg: d }, operand(rng, w === 64 ? 32 : w));
    },
  };
  if (width !== 8) {
    forms['r,imm8'] = (rng, w, v) => {
      const d = rng.pick(OPERAND_REGS);
      setReg(v, d, operand(rng, w), w);
      return aluImm8(op, w as Exclude<Width, 8>, { reg: d }, operand(rng, 8));
    };
  }
  return generate(op, forms, width, opts);
}

/** Vectors for a shift or rotate by CL, by 1 and by imm8, on registers and memory. */
export function genShift(op: ShiftOp, width: Width, opts: GenOptions = {}): Vector[] {
  const NOT_RCX = OPERAND_REGS.filter((r) => r !== Reg.RCX);
  const forms: Record<string, Form> = {
    'r,cl': (rng, w, v) => {
      const d = rng.pick(NOT_RCX);
      setReg(v, d, operand(rng, w), w);
      setReg(v, Reg.RCX, BigInt(shiftCount(rng, w)), 8);
      return shiftCl(op, w, { reg: d });
    },
    'm,cl': (rng, w, v) => {
      setReg(v, Reg.RCX, BigInt(shiftCount(rng, w)), 8);
      return shiftCl(op, w, setMem(rng, v, operand(rng, w), w));
    },
    'r,1': (rng, w, v) => {
      const d = rng.pick(OPERAND_REGS);
      setReg(v, d, operand(rng, w), w);
      return shift1(op, w, { reg: d });
    },
    'r,imm8': (rng, w, v) => {
      const d = rng.pick(OPERAND_REGS);
      setReg(v, d, operand(rng, w), w);
      return shiftImm(op, w, { reg: d }, shiftCount(rng, w));
    },
  };
  return generate(op, forms, width, opts);
}

/**
 * Vectors for not/neg/mul/imul/div/idiv on a register or memory. For the
 * divisions, half the dividends get a high half that cannot overflow the
 * quotient, so that both results and #DE are exercised.
 */
export function genUnary(op: UnaryOp, width: Width, opts: GenOptions = {}): Vector[] {
  const dividend = (rng: Rng, w: Width, v: Vector, divisor: bigint): void => {
    if (!(op === 'div' || op === 'idiv') || rng.chance(0.5) || divisor === 0n) return;
    // 8-bit division divides AX, so its high half is AH; wider ones divide rDX:rAX.
    const low = operand(rng, w);
    const high = op === 'div' ? rng.bits(w) % divisor : (low >> BigInt(w - 1)) * ((1n << BigInt(w)) - 1n);
    if (w === 8) setReg(v, Reg.RAX, (high << 8n) | low, 16);
    else {
      setReg(v, Reg.RAX, low, w);
      setReg(v, Reg.RDX, high, w);
    }
  };
  const forms: Record<string, Form> = {
    r: (rng, w, v) => {
      const r = rng.pick(OPERAND_REGS);
      const value = operand(rng, w);
      setReg(v, r, value, w);
      if (r !== Reg.RAX && r !== Reg.RDX) dividend(rng, w, v, value);
      return unary(op, w, { reg: r });
    },
    m: (rng, w, v) => {
      const value = operand(rng, w);
      const mem = setMem(rng, v, value, w);
      dividend(rng, w, v, value);
      return unary(op, w, mem);
    },
  };
  return generate(op, forms, width, opts);
}
