/**
 * Single-stepping and debug exits under both personalities: MTF on vmx, a
 * hypervisor-owned shadowed TF on svm (seed 000), with TF kept out of the
 * guest's PUSHF images, exception frames and IRET (the hole the seed's review
 * names), the guest's own TF stepping still working (seed 002), #BP
 * re-injected with the real instruction length (seed 001), and interrupts held
 * off while stepping.
 */
import assert from 'node:assert/strict';
import { Reg } from '../../../src/hypervisor/cpu/regs.js';
import { ExitReason } from '../../../src/hypervisor/vcpu/exit.js';
import { assembleMany } from '../../support/asm.js';
import { CODE, runToHalt, setGate, vcpuMachine, type VcpuMachine } from '../../support/vcpu-machine.js';

const HANDLER = 0x180000, TF = 0x100;
const [STRAIGHT, UD_MAIN, UD_HANDLER, GUEST_TF, DB_HANDLER, BREAKPOINTS, BP_HANDLER, IRQ_MAIN, IRQ_HANDLER] = assembleMany([
  'mov eax, 1; add eax, 2; pushfq; pop rbx; nop; hlt',
  'ud2; pushfq; pop rbx; hlt',
  // #UD: keep the RFLAGS image of the frame, step over the ud2, return.
  'mov r15, [rsp + 16]; add qword ptr [rsp], 2; iretq',
  'pushfq; or qword ptr [rsp], 0x100; popfq; nop; nop; nop; pushfq; and qword ptr [rsp], -0x101; popfq; hlt',
  'inc r14; iretq',
  'int3; .byte 0xcd, 0x03; hlt', // GNU as would encode "int 3" as CC
  // #BP: remember where it returns to (r13 first, then r12).
  'mov r12, r13; mov r13, [rsp]; iretq',
  'sti; nop; nop; nop; hlt',
  'inc r11; iretq',
]);

function machine(vendor: 'intel' | 'amd', code: Uint8Array): VcpuMachine {
  const m = vcpuMachine(vendor);
  m.mem.writeBytes(CODE, code);
  m.vcpu.cpu.rip = CODE;
  return m;
}

const reg = (m: VcpuMachine, r: number): number => m.vcpu.cpu.lo[r]! >>> 0;
const steps = (m: VcpuMachine): number[] => m.exits.filter((e) => e.reason === ExitReason.SINGLESTEP).map((e) => e.rip - CODE);

describe('personalities: single-stepping and debug exits', () => {
  it('advertises the monitor trap flag on vmx only', () => {
    assert.equal(vcpuMachine('intel').vcpu.capabilities?.monitorTrap, true);
    assert.equal(vcpuMachine('amd').vcpu.capabilities?.monitorTrap, false);
    assert.equal(vcpuMachine('amd').vcpu.capabilities?.singleStep, 'rflags-tf');
  });

  it('steps every instruction boundary, in order, the same way on both', () => {
    const seen: number[][] = [];
    for (const vendor of ['intel', 'amd'] as const) {
      const m = machine(vendor, STRAIGHT!);
      m.vcpu.setSingleStep(true);
      runToHalt(m);
      seen.push(steps(m));
      assert.equal(reg(m, Reg.RAX), 3);
      assert.equal(reg(m, Reg.RBX) & TF, 0, `${vendor}: PUSHF must not show the hypervisor's TF`);
      assert.equal(m.vcpu.cpu.rflags & TF, 0, `${vendor}: RFLAGS.TF stays the guest's`);
    }
    assert.deepEqual(seen[0], [5, 8, 9, 10, 11], 'after mov, add, pushfq, pop, nop');
    assert.deepEqual(seen[1], seen[0]);
  });

  it('keeps TF out of exception frames and IRET while stepping', () => {
    for (const vendor of ['intel', 'amd'] as const) {
      const m = machine(vendor, UD_MAIN!);
      m.mem.writeBytes(HANDLER, UD_HANDLER!);
      setGate(m, 6, HANDLER);
      m.vcpu.setSingleStep(true);
      runToHalt(m);
      assert.equal(reg(m, Reg.R15) & TF, 0, `${vendor}: the #UD frame's RFLAGS image has no TF`);
      assert.equal(reg(m, Reg.RBX) & TF, 0, `${vendor}: after IRET the guest's TF is still clear`);
      assert.ok(steps(m).length >= 3, `${vendor}: stepping went on through the handler and back`);
    }
  });

  it("lets the guest's own TF stepping work while the hypervisor steps", () => {
    const unstepped = machine('intel', GUEST_TF!);
    unstepped.mem.writeBytes(HANDLER, DB_HANDLER!);
    setGate(unstepped, 1, HANDLER);
    runToHalt(unstepped);
    const own = reg(unstepped, Reg.R14);
    assert.ok(own >= 4, `the guest stepped itself ${own} times`);
    for (const vendor of ['intel', 'amd'] as const) {
      const m = machine(vendor, GUEST_TF!);
      m.mem.writeBytes(HANDLER, DB_HANDLER!);
      setGate(m, 1, HANDLER);
      m.vcpu.setSingleStep(true);
      runToHalt(m);
      assert.equal(reg(m, Reg.R14), own, `${vendor}: every one of the guest's own #DBs reached it`);
      assert.ok(steps(m).length > own, `${vendor}: and the hypervisor saw its steps`);
    }
  });

  it("reports the guest's own #DB that svm re-injects itself only to clients that opted in (seed 003)", () => {
    const run = (vendor: 'intel' | 'amd', emulated: boolean): VcpuMachine => {
      const m = machine(vendor, GUEST_TF!);
      m.mem.writeBytes(HANDLER, DB_HANDLER!);
      setGate(m, 1, HANDLER);
      Object.assign(m.vcpu.requested, { exceptions: 1 << 1, emulated });
      m.vcpu.setSingleStep(true);
      runToHalt(m);
      return m;
    };
    const debugExits = (m: VcpuMachine) => m.exits.filter((e) => e.reason === ExitReason.DEBUG);
    for (const emulated of [false, true]) {
      // vmx: the guest's TF raises a #DB of its own alongside the MTF exit; it is the guest's, never emulated.
      const intel = run('intel', emulated);
      assert.ok(debugExits(intel).length >= 4 && debugExits(intel).every((e) => !e.emulated));
      // svm: one #DB carries both steps; the hypervisor takes it and re-injects the guest's part.
      const amd = run('amd', emulated);
      assert.equal(debugExits(amd).length, emulated ? reg(amd, Reg.R14) : 0, `svm, opted ${emulated ? 'in' : 'out'}`);
      assert.ok(debugExits(amd).every((e) => e.emulated === true));
      assert.equal(reg(amd, Reg.R14), reg(intel, Reg.R14), 'the guest got every #DB of its own either way');
    }
  });

  it('reports #BP with its instruction length and re-injects past it: 1 for int3, 2 for int 3', () => {
    for (const vendor of ['intel', 'amd'] as const) {
      const m = machine(vendor, BREAKPOINTS!);
      m.mem.writeBytes(HANDLER, BP_HANDLER!);
      setGate(m, 3, HANDLER, { dpl: 3 });
      m.vcpu.requested.exceptions |= 1 << 3;
      m.vcpu.syncIntercepts();
      runToHalt(m);
      const bps = m.exits.filter((e) => e.reason === ExitReason.BREAKPOINT);
      assert.deepEqual(bps.map((e) => [e.rip - CODE, e.instructionLength]), [[0, 1], [1, 2]], vendor);
      assert.deepEqual([reg(m, Reg.R12) - CODE, reg(m, Reg.R13) - CODE], [1, 3], `${vendor}: the handler returned past each`);
    }
  });

  it('holds off maskable interrupts while stepping, unless asked not to', () => {
    for (const mask of [true, false]) {
      const m = machine('amd', IRQ_MAIN!);
      m.mem.writeBytes(HANDLER, IRQ_HANDLER!);
      setGate(m, 0x30, HANDLER);
      let pending = true;
      m.vcpu.cpu.intc = { pendingVector: () => (pending ? 0x30 : -1), acknowledge: () => { pending = false; }, cr8: 0 };
      m.vcpu.setSingleStep(true, { maskInterrupts: mask });
      runToHalt(m);
      assert.equal(reg(m, Reg.R11), mask ? 0 : 1);
    }
  });
});
