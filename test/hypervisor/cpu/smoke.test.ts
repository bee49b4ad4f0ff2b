import assert from 'node:assert/strict';
import { StopReason } from '../../../src/hypervisor/cpu/cpu.js';
import { Reg } from '../../../src/hypervisor/cpu/regs.js';
import { getReg, runCode, setReg, testMachine } from '../../support/machine.js';

describe('cpu smoke', () => {
  it('adds, loops and halts', () => {
    const m = testMachine();
    // mov ecx, 10; xor eax, eax; L: add rax, rcx; dec ecx; jnz L; hlt
    const n = runCode(m, [0xb9, 10, 0, 0, 0, 0x31, 0xc0, 0x48, 0x01, 0xc8, 0xff, 0xc9, 0x75, 0xf9, 0xf4]);
    assert.equal(m.cpu.stopReason, StopReason.HALT);
    assert.equal(getReg(m.cpu, Reg.RAX), 55n);
    assert.equal(n, 2 + 3 * 10 + 1);
  });

  it('calls and returns through the stack', () => {
    const m = testMachine();
    setReg(m.cpu, Reg.RSP, 0x200000n);
    // call f; hlt; f: mov rax, -1; ret
    runCode(m, [0xe8, 1, 0, 0, 0, 0xf4, 0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff, 0xc3]);
    assert.equal(m.cpu.stopReason, StopReason.HALT);
    assert.equal(getReg(m.cpu, Reg.RAX), 0xffffffffffffffffn);
    assert.equal(getReg(m.cpu, Reg.RSP), 0x200000n);
  });

  it('sees its own code modification (exact decode-cache invalidation)', () => {
    const m = testMachine();
    // L: mov byte [rip+k], 0xf4 (overwrite the next nop with hlt), then nop -> hlt
    // c6 05 00 00 00 00 f4 = mov byte [rip+0], 0xf4 : targets the byte right after itself
    runCode(m, [0x90, 0xc6, 0x05, 0x00, 0x00, 0x00, 0x00, 0xf4, 0x90, 0x48, 0xff, 0xc0, 0xf4]);
    assert.equal(m.cpu.stopReason, StopReason.HALT);
    assert.equal(getReg(m.cpu, Reg.RAX), 0n, 'the inc after the patched byte must not run');
    assert.equal(m.cpu.rip, 0x100000 + 9);
  });

  it('reports #UD for undefined opcodes with RIP on the instruction', () => {
    const m = testMachine();
    runCode(m, [0x90, 0x0f, 0xff]);
    assert.equal(m.cpu.stopReason, StopReason.FAULT);
    assert.equal(m.cpu.lastFault?.vector, 6);
    assert.equal(m.cpu.rip, 0x100001);
  });
});

describe('test assembler', () => {
  it('assembles Intel syntax with GNU as', async () => {
    const { assemble } = await import('../../support/asm.js');
    assert.deepEqual([...assemble('add rax, rbx; hlt')], [0x48, 0x01, 0xd8, 0xf4]);
  });
});
