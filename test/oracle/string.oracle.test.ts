/**
 * String instructions against this machine's CPU: MOVS CMPS STOS LODS SCAS in
 * every width, bare and with F3 and F2, with 64- and 32-bit addressing.
 *
 * Operands are placed where the interesting cases are: overlapping each
 * other (MOVS within a few bytes of itself), running off either edge of the
 * data page (so a REP faults midway and the registers must show the
 * iterations done), non-canonical, and, for CMPS/SCAS, over mostly equal data
 * so that REPE/REPNE stop at varied points. Counts are small, zero, or (now
 * and then) huge so that only a fault or the REPE/REPNE condition ends them.
 *
 * No flags are masked: MOVS, STOS and LODS affect none, CMPS and SCAS set all
 * six from the comparison (SDM Vol. 2, "Flags Affected" of each).
 */
import { assertSameAsCpu } from './compare.js';
import { Reg, type Width } from './encode.js';
import { DF, LAYOUT, MAX_DATA, type Vector } from './native.js';
import { Rng, randomVector } from './vectors.js';

const OPCODES = { movs: 0xa4, cmps: 0xa6, stos: 0xaa, lods: 0xac, scas: 0xae } as const;
type Op = keyof typeof OPCODES;
const REPS = { '': 0, rep: 0xf3, repne: 0xf2 } as const;
type Rep = keyof typeof REPS;
const WIDTHS: Width[] = [8, 16, 32, 64];
/** Segment overrides that 64-bit mode ignores for these operands (SS still decides #SS vs #GP). */
const NULL_SEGMENTS = [0x26, 0x2e, 0x36, 0x3e];
const COUNT = 200;

const usesSource = (op: Op): boolean => op === 'movs' || op === 'cmps' || op === 'lods';
const usesDest = (op: Op): boolean => op !== 'lods';

/** [seg] [67] [F2/F3] [66] [REX.W] opcode. */
function encodeString(op: Op, width: Width, rep: Rep, addr32: boolean, seg: number): Uint8Array {
  const out: number[] = [];
  if (seg) out.push(seg);
  if (addr32) out.push(0x67);
  if (REPS[rep]) out.push(REPS[rep]);
  if (width === 16) out.push(0x66);
  if (width === 64) out.push(0x48);
  out.push(OPCODES[op] + (width === 8 ? 0 : 1));
  return Uint8Array.from(out);
}

/** An offset from LAYOUT.DATA: mostly in the compared buffer, sometimes at or past the page edges. */
function offset(rng: Rng): number {
  const k = rng.below(100);
  if (k < 70) return rng.below(MAX_DATA);
  if (k < 82) return LAYOUT.DATA_SIZE - 1 - rng.below(40);
  if (k < 94) return rng.below(24);
  return -1 - rng.below(16);
}

/** Point register r at DATA + off; with 32-bit addressing the upper half is noise that must be ignored. */
function point(rng: Rng, v: Vector, r: number, off: number, addr32: boolean): void {
  const at = BigInt(LAYOUT.DATA + off);
  if (rng.chance(0.02)) v.regs[r] = 0x8000_0000_0000_0000n | rng.bits(48); // non-canonical
  else v.regs[r] = addr32 ? (rng.bits(32) << 32n) | at : at;
}

/** Data drawn from a tiny alphabet, so that neighbouring elements often compare equal. */
const ALPHABET = [0x00, 0x01, 0x7f, 0x80, 0xff];

function vector(rng: Rng, op: Op, width: Width, rep: Rep, addr32: boolean, k: number): Vector {
  const seg = rng.chance(0.1) ? rng.pick(NULL_SEGMENTS) : 0;
  const code = encodeString(op, width, rep, addr32, seg);
  const v = randomVector(rng, `${op}${width} ${rep || 'once'} a${addr32 ? 32 : 64} #${k}`, code);
  const size = width / 8;
  v.data = rng.chance(0.5) ? rng.bytes(MAX_DATA) : Uint8Array.from({ length: MAX_DATA }, () => rng.pick(ALPHABET));
  if (rng.chance(0.3)) v.rflags |= DF;

  const src = offset(rng);
  // MOVS/CMPS: often a few bytes from the source, to overlap, or at a distance with equal contents.
  const near = rng.chance(0.4);
  const dst = near ? src + rng.below(33) - 16 : offset(rng);
  if (usesSource(op)) point(rng, v, Reg.RSI, src, addr32);
  if (usesDest(op)) point(rng, v, Reg.RDI, usesSource(op) ? dst : src, addr32);
  if (op === 'cmps' && !near && rng.chance(0.6)) {
    // Make the destination a copy of the source with one difference somewhere.
    const len = Math.min(64, MAX_DATA - Math.max(src, dst));
    if (src >= 0 && dst >= 0 && len > 0) {
      v.data.copyWithin(dst, src, src + len);
      v.data[dst + rng.below(len)] ^= 1 << rng.below(8);
    }
  }
  if (op === 'scas' && rng.chance(0.5)) {
    // An accumulator value that occurs a few elements on.
    const at = src + ((v.rflags & DF) ? -1 : 1) * size * rng.below(12);
    if (at >= 0 && at + size <= MAX_DATA) {
      let x = 0n;
      for (let b = size - 1; b >= 0; b--) x = (x << 8n) | BigInt(v.data[at + b]!);
      v.regs[Reg.RAX] = ((v.regs[Reg.RAX]! >> BigInt(width)) << BigInt(width)) | x;
    }
  }

  const n = rng.chance(0.1) ? 0 : rng.chance(0.75) ? rng.below(40) : rng.below(400);
  if (rng.chance(0.03)) v.regs[Reg.RCX] = rng.bits(64); // ends by a fault or the condition
  else v.regs[Reg.RCX] = addr32 ? (rng.bits(32) << 32n) | BigInt(n) : BigInt(n);
  return v;
}

function generate(op: Op, seed = 1): Vector[] {
  const out: Vector[] = [];
  for (const width of WIDTHS) {
    for (const rep of Object.keys(REPS) as Rep[]) {
      for (const addr32 of [false, true]) {
        const rng = new Rng(seed, `string/${op}/${width}/${rep}/${addr32}`);
        for (let k = 0; k < COUNT; k++) out.push(vector(rng, op, width, rep, addr32, k));
      }
    }
  }
  return out;
}

describe('oracle: string instructions', () => {
  for (const op of Object.keys(OPCODES) as Op[]) {
    it(`${op} in every width, with and without REP/REPE/REPNE, 64- and 32-bit addressing`, () => {
      assertSameAsCpu(generate(op), () => 0);
    });
  }
});
