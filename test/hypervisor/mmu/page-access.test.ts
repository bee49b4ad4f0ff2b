/**
 * Second-level page permissions (EPT, SDM Vol. 3C §28.3; nested paging, APM
 * Vol. 2 §15.25): an access a frame forbids stops the vCPU with RIP on the
 * instruction, nothing of it done, and a mem-access exit naming the gpa, the
 * gla and the access kind. Reinjected, the instruction runs once past the
 * permissions (Xen's emulate); dropped, it is skipped. The same on both
 * personalities, interpreted and compiled.
 */
import assert from 'node:assert/strict';
import { Reg } from '../../../src/hypervisor/cpu/regs.js';
import { PageAccess } from '../../../src/hypervisor/mmu/page-access.js';
import { ExitReason, type VmExit } from '../../../src/hypervisor/vcpu/exit.js';
import { assembleMany } from '../../support/asm.js';
import { CODE, runToHalt, setGate, vcpuMachine, type VcpuMachine } from '../../support/vcpu-machine.js';

const DATA = 0x180000, NX = 0x181000, HANDLER = 0x182000;
const GFN = DATA / 4096;
const [STORE, LOADS, LOOP, CALL_NX, NX_FN, PUSH_INT, IRET] = assembleMany([
  `mov qword ptr [${DATA}], 0x1234; mov rax, [${DATA}]; hlt`,
  `mov rax, [${DATA}]; mov rbx, [${DATA} + 8]; hlt`,
  `mov rcx, 100; 1: mov [${DATA}], rcx; dec rcx; jnz 1b; hlt`,
  `mov rax, ${NX}; call rax; hlt`,
  'inc r8; inc r8; ret',
  `int 0x30; push rax; hlt`,
  'iretq',
]);

type Vendor = 'intel' | 'amd';

function guest(vendor: Vendor, code: Uint8Array): VcpuMachine {
  const m = vcpuMachine(vendor);
  m.mem.writeBytes(CODE, code);
  m.mem.writeBytes(NX, NX_FN!);
  m.mem.writeBytes(HANDLER, IRET!);
  setGate(m, 0x30, HANDLER);
  m.vcpu.cpu.rip = CODE;
  return m;
}

/** What Domain.setPageAccess does for a domain's vCPUs. */
function restrict(m: VcpuMachine, gfn: number, access: number): void {
  m.mem.access.set(gfn, access);
  m.vcpu.cpu.mmu.tlb.flushAll();
}

const memExits = (m: VcpuMachine): VmExit[] => m.exits.filter((e) => e.reason === ExitReason.MEM_ACCESS);
const r = (m: VcpuMachine, reg: number): number => m.vcpu.cpu.lo[reg]! >>> 0;

describe('second-level page permissions (mem-access exits)', () => {
  for (const vendor of ['intel', 'amd'] as const) {
    describe(vendor, () => {
      it('stops a forbidden write before it lands, and reinject performs it once', () => {
        const m = guest(vendor, STORE!);
        restrict(m, GFN, PageAccess.R | PageAccess.X);
        runToHalt(m);
        const [x, ...more] = memExits(m);
        assert.deepEqual(more, [], 'the read after the write is allowed');
        assert.deepEqual(x!.memAccess, { gpa: DATA, gla: DATA, read: false, write: true, execute: false });
        assert.equal(x!.rip, CODE, 'RIP stays on the faulting instruction');
        assert.equal(x!.instructionLength, STORE!.length - 8 - 1, 'mov qword [disp32], imm32 (the rest is the load and hlt)');
        assert.equal(m.mem.view.getUint32(DATA, true), 0x1234);
        assert.equal(r(m, Reg.RAX), 0x1234);
      });

      it('drop skips the instruction: the write is denied and the guest goes on', () => {
        const m = guest(vendor, STORE!);
        m.mem.view.setUint32(DATA, 0x77, true);
        restrict(m, GFN, PageAccess.R);
        m.answer = (e) => (e.reason === ExitReason.MEM_ACCESS ? 'drop' : 'reinject');
        runToHalt(m);
        assert.equal(memExits(m).length, 1);
        assert.equal(m.mem.view.getUint32(DATA, true), 0x77, 'memory unchanged');
        assert.equal(r(m, Reg.RAX), 0x77, 'the load after it ran');
      });

      it('a frame with no access stops every read, each instruction once', () => {
        const m = guest(vendor, LOADS!);
        m.mem.view.setUint32(DATA + 8, 5, true);
        restrict(m, GFN, 0);
        runToHalt(m);
        const xs = memExits(m);
        assert.deepEqual(xs.map((x) => x.memAccess!.gla), [DATA, DATA + 8]);
        assert.ok(xs.every((x) => x.memAccess!.read && !x.memAccess!.write));
        assert.equal(r(m, Reg.RBX), 5);
      });

      it('keeps stopping a store in a hot loop after its block is compiled, always at the store', () => {
        const m = guest(vendor, LOOP!);
        restrict(m, GFN, PageAccess.R | PageAccess.X);
        runToHalt(m, 100_000);
        const xs = memExits(m);
        assert.equal(xs.length, 100);
        assert.ok(xs.every((x) => x.rip === CODE + 7), 'each exit is at the mov in the loop');
        assert.equal(m.mem.view.getUint32(DATA, true), 1, 'every store landed, the last one writing 1');
        assert.equal(r(m, Reg.RCX), 0);
      });

      it('stops every instruction fetched from a non-executable frame, at that instruction', () => {
        const m = guest(vendor, CALL_NX!);
        restrict(m, NX / 4096, PageAccess.R | PageAccess.W);
        runToHalt(m);
        const xs = memExits(m);
        assert.deepEqual(xs.map((x) => x.rip - NX), [0, 3, 6], 'inc r8; inc r8; ret');
        assert.deepEqual(xs.map((x) => x.instructionLength), [3, 3, 1]);
        assert.ok(xs.every((x) => x.memAccess!.execute && x.memAccess!.gla === x.rip));
        assert.equal(r(m, Reg.R8), 2);
      });

      it("checks the guest's instructions but not the processor's own delivery accesses", () => {
        const m = guest(vendor, PUSH_INT!);
        const stackGfn = Math.floor((m.vcpu.cpu.reg64(Reg.RSP) - 8) / 4096);
        restrict(m, stackGfn, PageAccess.R | PageAccess.X);
        runToHalt(m);
        const xs = memExits(m);
        assert.equal(xs.length, 1, 'int 0x30 pushes its frame unchecked; iretq reads; push rax is stopped');
        assert.equal(xs[0]!.rip, CODE + 2);
        assert.ok(xs[0]!.memAccess!.write);
      });

      it('leaves an unrestricted domain alone', () => {
        const m = guest(vendor, STORE!);
        restrict(m, GFN, PageAccess.R);
        restrict(m, GFN, PageAccess.RWX);
        runToHalt(m);
        assert.deepEqual(memExits(m), []);
        assert.equal(m.mem.access.restricted, 0);
      });
    });
  }
});
