/** Data movement, stack and flag instructions against this machine's CPU. */
import { assertSameAsCpu } from './compare.js';
import { genTemplates } from './templates.js';

const noUndefinedFlags = (): number => 0;

describe('oracle: data movement', () => {
  it('mov in every width, with AH..BH, immediates and memory', () => {
    assertSameAsCpu(genTemplates('mov', [
      'mov {r8}, {r8b}', 'mov {r16}, {r16b}', 'mov {r32}, {r32b}', 'mov {r64}, {r64b}',
      'mov ah, bl', 'mov al, ch', 'mov dh, {imm8}', 'mov {r8}, {imm8}', 'mov {r16}, {imm16}', 'mov {r32}, {imm32}',
      'mov {r64}, {imm32}', 'movabs {r64}, 0x8000000000000001', 'mov {r64}, qword ptr [{ptr}]', 'mov {r32}, dword ptr [{ptr}+4]',
      'mov word ptr [{ptr}+2], {r16}', 'mov byte ptr [{data}], {imm8}', 'mov qword ptr [{ptr}], {imm32}', 'mov byte ptr [{ptr}], ah',
    ]), noUndefinedFlags);
  });

  it('movzx, movsx and movsxd', () => {
    assertSameAsCpu(genTemplates('movx', [
      'movzx {r32}, {r8}', 'movzx {r64}, {r16}', 'movzx {r16}, byte ptr [{ptr}]', 'movzx {r32}, ah',
      'movsx {r64}, {r8}', 'movsx {r32}, {r16}', 'movsx {r16}, byte ptr [{data}]', 'movsx {r64}, word ptr [{ptr}]',
      'movsxd {r64}, {r32}', 'movsxd {r64}, dword ptr [{ptr}]',
    ]), noUndefinedFlags);
  });

  it('lea with every addressing shape and address size', () => {
    assertSameAsCpu(genTemplates('lea', [
      'lea {r64}, [{r64b} + {r64c}*4 + {imm8}]', 'lea {r64}, [{r64b} + {r64c}]', 'lea {r32}, [{r64b} + {r64c}*8 - 1]',
      'lea {r64}, [{r64b}*2]', 'lea {r64}, [{r64b} + {imm32}]', 'lea {r16}, [{r64b} + {r64c}*2 + 3]',
      'lea {r64}, [{r32b} + {r32c}*4 + 5]', 'lea {r32}, [{r32b} - 7]', 'lea {r64}, [rip + 0x100]', 'lea {r64}, [{imm32}]',
      'lea {r64}, [rsp + {imm8}]', 'lea {r64}, [rbp + {r64b}*1]', 'lea {r64}, [r13]', 'lea {r64}, [r12 + {r64b}*2]',
    ]), noUndefinedFlags);
  });

  it('xchg, nop forms, cmovcc and setcc', () => {
    assertSameAsCpu(genTemplates('xchg', [
      'xchg {r64}, {r64b}', 'xchg {r32}, {r32b}', 'xchg {r16}, {r16b}', 'xchg {r8}, {r8b}', 'xchg {r8}, byte ptr [{ptr}]',
      'xchg qword ptr [{ptr}], {r64}', 'xchg eax, {r32}', 'nop', 'nop dword ptr [{r64} + {r64b}*1]', 'pause',
      'cmov{cc} {r64}, {r64b}', 'cmov{cc} {r32}, {r32b}', 'cmov{cc} {r16}, {r16b}', 'cmov{cc} {r32}, dword ptr [{ptr}]',
      'set{cc} {r8}', 'set{cc} ah', 'set{cc} byte ptr [{ptr}]',
    ]), noUndefinedFlags);
  });
});

describe('oracle: stack and flags', () => {
  it('push, pop, pushf, popf, call, ret, enter and leave', () => {
    assertSameAsCpu(genTemplates('stack', [
      'push {r64}; pop {r64b}', 'push {imm32}; pop {r64}', 'push {imm8}; pop {r64}', 'push qword ptr [{ptr}]; pop qword ptr [{ptr}+8]',
      'push {r16}; pop {r16b}', 'pushfq; pop {r64}',
      // TF and AC are kept clear: single-stepping and alignment checks are not what this test is about.
      'mov {r64}, {r64b}; and {r64}, -262401; push {r64}; popfq',
      'call 1f; 1: pop {r64}', 'call 1f; jmp 2f; 1: ret; 2: nop', 'call 1f; jmp 2f; 1: ret 8; 2: nop',
      'mov rbp, rsp; enter 24, 0; leave', 'mov rbp, rsp; enter 8, 1; leave', 'mov rbp, rsp; enter 0, 3; mov {r64}, rbp; leave',
      'mov rbp, rsp; sub rsp, 32; leave', 'push rbp; mov rbp, rsp; push {r64}; leave',
    ]), noUndefinedFlags);
  });

  it('flag instructions', () => {
    assertSameAsCpu(genTemplates('flags', [
      'clc', 'stc', 'cmc', 'lahf', 'sahf', 'std; cld', 'std; lahf; cld', 'stc; cmc; lahf',
    ]), noUndefinedFlags);
  });
});

describe('oracle: control transfer', () => {
  it('jcc, jmp, loop and jrcxz take the branch exactly when the CPU does', () => {
    assertSameAsCpu(genTemplates('branch', [
      'j{cc} 1f; mov {r32}, 1; 1: nop', 'cmp {r64}, {r64b}; j{cc} 1f; inc {r64}; 1: nop', 'test {r8}, {r8b}; j{cc} 1f; not {r32}; 1: nop',
      'jmp 1f; ud2; 1: nop', 'lea {r64}, [rip + 1f]; jmp {r64}; ud2; 1: nop',
      'mov ecx, 3; 1: inc eax; loop 1b', 'mov ecx, 5; 1: cmp dl, bl; loope 1b', 'mov ecx, 5; 1: dec r9b; loopne 1b',
      'jrcxz 1f; inc {r64}; 1: nop', 'jecxz 1f; inc {r64}; 1: nop',
    ]), noUndefinedFlags);
  });

  it('faults like the CPU: #UD, #GP for non-canonical targets and privileged instructions, #PF, int3', () => {
    assertSameAsCpu(genTemplates('faults', [
      'ud2', 'movabs {r64}, 0x0000800000000000; jmp {r64}', 'movabs {r64}, 0x0000800000000000; call {r64}',
      'movabs {r64}, 0x0000800000000000; mov {r64b}, [{r64}]', 'int3', 'mov {r64}, [0x40]', 'hlt', 'cli', 'in al, dx', 'out 0x80, al',
      'mov rax, cr0', 'mov cr3, rax', 'invlpg [{ptr}]', '.byte 0xf0; add {r64}, {r64b}',
    ], { count: 8 }), noUndefinedFlags);
  });
});
