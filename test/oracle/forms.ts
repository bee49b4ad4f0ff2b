/**
 * Generators for instruction forms whose undefined flags depend on the
 * operands (a shift's count, above all): each form builds a vector's code and
 * returns the SDM-undefined flags for that very vector, which the comparison
 * then masks. Streams are seeded per family and width, as in vectors.ts.
 */
import type { Width } from './encode.js';
import { LAYOUT, type Vector } from './native.js';
import { Rng, operand, randomVector, withLow } from './vectors.js';

/** Registers a form may use as operands: all but RSP. */
export const OPERAND_REGS = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/** Builds one vector's code (filling its registers and data) and returns it with its undefined flags. */
export type Form = (rng: Rng, width: Width, v: Vector) => { code: Uint8Array; undefinedFlags: number };

export interface Generated {
  vectors: Vector[];
  undefinedFlags: (v: Vector) => number;
}

export function generateForms(family: string, widths: Width[], forms: Record<string, Form>, { seed = 1, count = 300 } = {}): Generated {
  const masks = new Map<Vector, number>();
  const vectors: Vector[] = [];
  for (const width of widths) {
    const rng = new Rng(seed, `${family}/${width}`);
    for (const [form, build] of Object.entries(forms)) {
      for (let k = 0; k < count; k++) {
        const v = randomVector(rng, `${family}${width} ${form} #${k} (seed ${seed})`);
        const { code, undefinedFlags } = build(rng, width, v);
        v.code = code;
        masks.set(v, undefinedFlags);
        vectors.push(v);
      }
    }
  }
  return { vectors, undefinedFlags: (v) => masks.get(v)! };
}

/** Concatenate generated sets. */
export const merge = (...sets: Generated[]): Generated => {
  const all = new Map<Vector, number>();
  for (const s of sets) for (const v of s.vectors) all.set(v, s.undefinedFlags(v));
  return { vectors: [...all.keys()], undefinedFlags: (v) => all.get(v)! };
};

/** Put a `width`-bit value in a register's low bits, keeping the random bits above. */
export function setLow(v: Vector, r: number, value: bigint, width: Width): void {
  v.regs[r] = withLow(v.regs[r]!, value, width);
}

/** Put a `width`-bit value at a random offset of the data buffer; returns its absolute address. */
export function placeInData(rng: Rng, v: Vector, value: bigint, width: Width): number {
  const offset = rng.below(v.data.length - width / 8 + 1);
  for (let k = 0; k < width / 8; k++) v.data[offset + k] = Number((value >> BigInt(8 * k)) & 0xffn);
  return LAYOUT.DATA + offset;
}

/** Two distinct operand registers. */
export function twoRegs(rng: Rng, exclude: number[] = []): [number, number] {
  const pool = OPERAND_REGS.filter((r) => !exclude.includes(r));
  const a = rng.pick(pool);
  return [a, rng.pick(pool.filter((r) => r !== a))];
}

export { operand };
