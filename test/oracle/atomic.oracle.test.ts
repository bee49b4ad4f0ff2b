/**
 * XADD, CMPXCHG, CMPXCHG8B and CMPXCHG16B against this machine's CPU, on
 * registers and memory, with and without LOCK. The compare-exchange forms
 * come as is (the accumulator is random, so the comparison fails and shows
 * what is loaded and written back), with the accumulator first loaded from
 * the destination (so it succeeds), and for the double-width forms with only
 * one half loaded (so that half matches and the other does not). CMPXCHG16B's operand is
 * 16-byte aligned only in some forms; the others check #GP(0).
 *
 * No flags are masked: XADD and CMPXCHG set all six, CMPXCHG8B/16B set ZF and
 * leave the rest (SDM Vol. 2, "Flags Affected").
 */
import { assertSameAsCpu } from './compare.js';
import { genTemplates } from './templates.js';

const COUNT = 300;
const all = (): number => 0;

describe('oracle: atomic instructions', () => {
  it('xadd on registers (same and distinct, AH..BH) and memory', () => {
    assertSameAsCpu(genTemplates('xadd', [
      'xadd {r8}, {r8b}', 'xadd {r16}, {r16b}', 'xadd {r32}, {r32b}', 'xadd {r64}, {r64b}',
      'xadd {r32}, {r32}', 'xadd {r64}, {r64}', 'xadd ah, bl', 'xadd cl, dh',
      'lock xadd byte ptr [{ptr}], {r8}', 'xadd word ptr [{ptr}+1], {r16}',
      'lock xadd dword ptr [{ptr}+2], {r32}', 'xadd qword ptr [{ptr}+3], {r64}',
    ], { count: COUNT }), all);
  });

  it('cmpxchg on registers, failing and succeeding', () => {
    assertSameAsCpu(genTemplates('cmpxchg-reg', [
      'cmpxchg {r8}, {r8b}', 'cmpxchg {r16}, {r16b}', 'cmpxchg {r32}, {r32b}', 'cmpxchg {r64}, {r64b}',
      'mov al, {r8}; cmpxchg {r8}, {r8b}', 'mov ax, {r16}; cmpxchg {r16}, {r16b}',
      'mov eax, {r32}; cmpxchg {r32}, {r32b}', 'mov rax, {r64}; cmpxchg {r64}, {r64b}',
      'cmpxchg eax, {r32}', 'cmpxchg {r32}, eax', 'cmpxchg ah, bl', 'cmpxchg bh, ah',
    ], { count: COUNT }), all);
  });

  it('cmpxchg on memory, failing (written back) and succeeding', () => {
    assertSameAsCpu(genTemplates('cmpxchg-mem', [
      'lock cmpxchg byte ptr [{ptr}], {r8}', 'cmpxchg word ptr [{ptr}+1], {r16}',
      'lock cmpxchg dword ptr [{ptr}+2], {r32}', 'cmpxchg qword ptr [{ptr}+3], {r64}',
      'mov al, [{ptr}]; lock cmpxchg byte ptr [{ptr}], {r8}', 'mov ax, [{ptr}+1]; cmpxchg word ptr [{ptr}+1], {r16}',
      'mov eax, [{ptr}+2]; lock cmpxchg dword ptr [{ptr}+2], {r32}', 'mov rax, [{ptr}+3]; cmpxchg qword ptr [{ptr}+3], {r64}',
    ], { count: COUNT }), all);
  });

  it('cmpxchg8b and cmpxchg16b, failing, succeeding and misaligned', () => {
    assertSameAsCpu(genTemplates('cmpxchg8b', [
      'cmpxchg8b qword ptr [{ptr}]',
      'mov eax, [{ptr}+1]; mov edx, [{ptr}+5]; lock cmpxchg8b qword ptr [{ptr}+1]',
      'mov eax, [{ptr}]; cmpxchg8b qword ptr [{ptr}]', 'mov edx, [{ptr}+4]; cmpxchg8b qword ptr [{ptr}]',
      'cmpxchg16b xmmword ptr [{ptr}]',
      'and {ptr}, -16; lock cmpxchg16b xmmword ptr [{ptr}]',
      'and {ptr}, -16; mov rax, [{ptr}]; mov rdx, [{ptr}+8]; cmpxchg16b xmmword ptr [{ptr}]',
      'and {ptr}, -16; mov rax, [{ptr}]; cmpxchg16b xmmword ptr [{ptr}]',
      'and {ptr}, -16; mov rdx, [{ptr}+8]; cmpxchg16b xmmword ptr [{ptr}]',
    ], { count: COUNT }), all);
  });

  it('#UD for LOCK on a register destination and for register forms of group 9 /1', () => {
    assertSameAsCpu(genTemplates('atomic-ud', [
      '.byte 0xf0; xadd {r32}, {r32b}', '.byte 0xf0; cmpxchg {r64}, {r64b}',
      '.byte 0x0f, 0xc7, 0xc8', '.byte 0x48, 0x0f, 0xc7, 0xcb',
    ], { count: 20 }), all);
  });
});
