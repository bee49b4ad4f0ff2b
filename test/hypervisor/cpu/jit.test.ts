/**
 * The block compiler must be invisible: the same instructions retire, with
 * the same results, faults land on the same instruction, and code written by
 * the guest takes effect on the very next instruction, compiled or not.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StopReason } from '../../../src/hypervisor/cpu/cpu.js';
import { Reg } from '../../../src/hypervisor/cpu/regs.js';
import { Domain } from '../../../src/hypervisor/vm/domain.js';
import { assemble } from '../../support/asm.js';
import { CORPUS_DIR } from '../../support/corpus.js';
import { getReg, runCode, setReg, testMachine } from '../../support/machine.js';

/** Architectural state worth comparing: registers, RIP, RFLAGS, retired count. */
function snapshot(vm: Domain): string {
  const c = vm.bsp.cpu;
  return JSON.stringify({ lo: [...c.lo], hi: [...c.hi], rip: c.rip, rflags: c.getRflags(), icount: c.icount });
}

describe('block compiler', () => {
  it('reaches the same state at every instruction count as the interpreter', () => {
    const image = readFileSync(join(CORPUS_DIR, 'sha256-O2.elf'));
    const run = (jit: boolean, slice: number): string[] => {
      const vm = new Domain();
      vm.load(image);
      vm.bsp.cpu.jit = jit;
      vm.bsp.cpu.hotThreshold = 0;
      const states: string[] = [];
      // Odd slice sizes cut compiled blocks at every possible point.
      for (let n = 0; n < 200; n++) { vm.bsp.cpu.run(slice); states.push(snapshot(vm)); }
      return states;
    };
    for (const slice of [1, 7, 1000]) assert.deepEqual(run(true, slice), run(false, slice), `slice ${slice}`);
  });

  it('sees a store into the running block on the next instruction', () => {
    const m = testMachine();
    m.cpu.hotThreshold = 0;
    // Each pass patches the imm32 of the `add` right after the store, in the same block:
    //   1: mov dword ptr [rip + patch], ecx   (patch = the add's immediate)
    //      add rax, <imm32>   <- sees this pass's ecx
    //      dec ecx; jnz 1b; hlt
    const code = assemble('1: mov dword ptr [rip + 2f + 2], ecx; 2: add rax, 0x12345678; dec ecx; jnz 1b; hlt');
    setReg(m.cpu, Reg.RCX, 100n);
    setReg(m.cpu, Reg.RAX, 0n);
    runCode(m, code, 0x100000, 10_000);
    assert.equal(m.cpu.stopReason, StopReason.HALT);
    assert.equal(getReg(m.cpu, Reg.RAX), 5050n, 'sum of 100..1: every add saw its own patch');
  });

  it('retires exactly the instructions before a fault in a compiled block', () => {
    for (const jit of [false, true]) {
      const m = testMachine();
      m.cpu.jit = jit;
      m.cpu.hotThreshold = 0;
      // Four instructions, then a load from an unmapped page.
      const code = assemble('inc rax; inc rax; add rbx, 1; mov rcx, rbx; mov rdx, [0x40000000]; hlt');
      runCode(m, code);
      assert.equal(m.cpu.stopReason, StopReason.FAULT);
      assert.equal(m.cpu.lastFault!.vector, 14);
      assert.equal(m.cpu.icount, 4, `jit=${jit}`);
      assert.equal(m.cpu.rip, 0x100000 + code.length - 9, 'RIP on the faulting mov');
      assert.equal(getReg(m.cpu, Reg.RAX), 2n);
    }
  });
});
