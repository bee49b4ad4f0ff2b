/**
 * Vectors from assembly templates, for instruction forms the hand encoder in
 * encode.ts does not cover. A template is Intel syntax with placeholders that
 * are filled at random per vector, then assembled by GNU as in one batch:
 *
 *   {r8} {r16} {r32} {r64}   a register of that width (never the stack pointer);
 *                            the same placeholder is the same register throughout
 *                            one vector, and {r64b}, {r64c} ... are drawn apart.
 *                            Templates that name AH..DH only get legacy registers.
 *   {ptr}                    a 64-bit register that is made to point into the data buffer
 *   {data}                   an absolute address inside the data buffer
 *   {imm8} {imm16} {imm32}   an immediate (boundary value or random) that fits the form
 *   {cc}                     a condition-code suffix (o, no, b, ae, ... g)
 *
 * Register contents are boundary values in their low bits and random above,
 * so both the operation and the treatment of the untouched bits are checked.
 */
import { assembleMany } from '../support/asm.js';
import { LAYOUT, type Vector } from './native.js';
import { Rng, operand, randomVector, withLow } from './vectors.js';
import type { Width } from './encode.js';

const NAMES: Record<Width, string[]> = {
  8: ['al', 'cl', 'dl', 'bl', '', 'bpl', 'sil', 'dil', 'r8b', 'r9b', 'r10b', 'r11b', 'r12b', 'r13b', 'r14b', 'r15b'],
  16: ['ax', 'cx', 'dx', 'bx', '', 'bp', 'si', 'di', 'r8w', 'r9w', 'r10w', 'r11w', 'r12w', 'r13w', 'r14w', 'r15w'],
  32: ['eax', 'ecx', 'edx', 'ebx', '', 'ebp', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d', 'r12d', 'r13d', 'r14d', 'r15d'],
  64: ['rax', 'rcx', 'rdx', 'rbx', '', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'],
};
const USABLE = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
const POINTERS = [3, 6, 7, 12, 13]; // rbx rsi rdi r12 r13
export const CONDITIONS = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];

const imm = (rng: Rng, bits: 8 | 16 | 32): string => {
  const v = BigInt.asIntN(bits, operand(rng, bits));
  return v < 0n ? `-${-v}` : `${v}`;
};

export interface TemplateOptions {
  seed?: number;
  /** Vectors per template. */
  count?: number;
}

/** Build `count` vectors per template; names start with `${family} ${template}`. */
export function genTemplates(family: string, templates: string[], { seed = 1, count = 60 }: TemplateOptions = {}): Vector[] {
  const vectors: Vector[] = [];
  const sources: string[] = [];
  for (const t of templates) {
    const rng = new Rng(seed, `${family}/${t}`);
    for (let k = 0; k < count; k++) {
      const v = randomVector(rng, `${family} ${t} #${k} (seed ${seed})`);
      v.data = rng.bytes(32);
      for (const r of USABLE) v.regs[r] = withLow(v.regs[r]!, operand(rng, rng.pick([8, 16, 32, 64] as const)), 64);
      const legacyOnly = /\b[abcd]h\b/.test(t);
      const ptr = rng.pick(legacyOnly ? POINTERS.filter((r) => r < 8) : POINTERS);
      const chosen = new Map<string, number>();
      const src = t.replace(/\{(r8|r16|r32|r64)[a-z]?\}|\{ptr\}|\{data\}|\{imm(8|16|32)\}|\{cc\}/g, (m, w: string | undefined, ib: string | undefined) => {
        if (w) {
          let r = chosen.get(m);
          if (r === undefined) chosen.set(m, r = rng.pick(USABLE.filter((x) => x !== ptr && (!legacyOnly || x < 8))));
          return NAMES[Number(w.slice(1)) as Width][r]!;
        }
        if (m === '{ptr}') {
          v.regs[ptr] = BigInt(LAYOUT.DATA + rng.below(16));
          return NAMES[64][ptr]!;
        }
        if (m === '{data}') return `0x${(LAYOUT.DATA + rng.below(16)).toString(16)}`;
        if (ib) return imm(rng, Number(ib) as 8 | 16 | 32);
        return rng.pick(CONDITIONS);
      });
      sources.push(src);
      vectors.push(v);
    }
  }
  const code = assembleMany(sources);
  vectors.forEach((v, k) => { v.code = code[k]!; v.name += ` \`${sources[k]}\``; });
  return vectors;
}

/** Widths in the order tests usually iterate them. */
export const WIDTHS: Width[] = [8, 16, 32, 64];
export { withLow };
