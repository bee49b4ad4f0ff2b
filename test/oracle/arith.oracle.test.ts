/** ALU group 1, INC/DEC/NEG/NOT and TEST against this machine's CPU. */
import { ALU_OPS, type Width } from './encode.js';
import { assertSameAsCpu } from './compare.js';
import { undefinedFlags } from './undefined-flags.js';
import { genBinary, genUnary } from './vectors.js';
import { genTemplates } from './templates.js';

const WIDTHS: Width[] = [8, 16, 32, 64];

describe('oracle: integer arithmetic', () => {
  for (const op of ALU_OPS) {
    it(`${op} in every form and width`, () => {
      const vectors = WIDTHS.flatMap((w) => genBinary(op, w));
      assertSameAsCpu(vectors, () => undefinedFlags(op, 32));
    });
  }

  for (const op of ['neg', 'not'] as const) {
    it(`${op} on registers and memory`, () => {
      assertSameAsCpu(WIDTHS.flatMap((w) => genUnary(op, w)), () => 0);
    });
  }

  it('inc, dec and test on registers, memory and AH..BH', () => {
    const vectors = genTemplates('incdec', [
      'inc {r8}', 'inc {r16}', 'inc {r32}', 'inc {r64}', 'dec {r8}', 'dec {r16}', 'dec {r32}', 'dec {r64}',
      'inc byte ptr [{data}]', 'dec word ptr [{data}]', 'inc dword ptr [{data}]', 'dec qword ptr [{data}]',
      'inc ah', 'dec bh', 'inc ch', 'dec dh',
      'test {r8}, {r8}', 'test {r16}, {r16}', 'test {r32}, {r32}', 'test {r64}, {r64}',
      'test ah, {imm8}', 'test {r32}, {imm32}', 'test qword ptr [{data}], {imm32}', 'test {r64}, {r64b}',
    ]);
    assertSameAsCpu(vectors, (v) => (v.name.startsWith('incdec test') ? undefinedFlags('test', 32) : 0));
  });
});
