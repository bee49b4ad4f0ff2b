/**
 * NMIs and IRET tracing, scenario by scenario from the bhyve test plan (seed
 * 004), with a guest of our own: an idle loop in HLT, an NMI handler on IST1
 * that reads port 0x61 (where the host steps in, as the plan's delay and
 * recursion knobs do), and #GP/#PF handlers that repair what the host broke.
 * Without nested paging, the plan's nested page fault becomes a guest #PF on
 * the IRET's stack page, as the issue asks.
 *
 * The svm personality has no virtual NMIs: it traces the NMI handler's IRET
 * and ends blocking at the #DB after it ("unblocked precisely"); vmx relies on
 * hardware. Every scenario must behave the same for the guest on both.
 */
import assert from 'node:assert/strict';
import { Reg } from '../../../src/hypervisor/cpu/regs.js';
import { ExitReason } from '../../../src/hypervisor/vcpu/exit.js';
import { assembleMany } from '../../support/asm.js';
import { CODE, IST1_PAGE, runToHalt, setGate, vcpuMachine, type VcpuMachine } from '../../support/vcpu-machine.js';

const NMI = 0x180000, TIMER = 0x181000, GP = 0x182000, PF = 0x183000, VARS = 0x184000;
const IST1_TOP = IST1_PAGE + 0x1000;
const RESUME = CODE + 1; // the hlt of the idle loop
const [MAIN, NMI_H, TIMER_H, GP_H, PF_H] = assembleMany([
  'sti; 1: hlt; jmp 1b',
  'inc r8; in al, 0x61; inc r9; iretq',
  'inc r10; mov r12, r9; iretq',
  // #GP from the IRET: point the NMI frame back at the idle loop and retry the IRET.
  `inc r11; add rsp, 8; mov rax, [rsp + 24]; movabs rcx, ${RESUME}; mov [rax], rcx; iretq`,
  // #PF from the IRET's stack page: restore the PTE the host cleared, and retry.
  `inc r13; mov rax, [${VARS}]; mov rcx, [${VARS + 8}]; mov [rax], rcx; mov rax, cr2; invlpg [rax]; add rsp, 8; iretq`,
]);

type Vendor = 'intel' | 'amd';

function guest(vendor: Vendor, opts: { ist?: boolean } = {}): VcpuMachine {
  const m = vcpuMachine(vendor);
  m.mem.writeBytes(CODE, MAIN!);
  for (const [at, code] of [[NMI, NMI_H], [TIMER, TIMER_H], [GP, GP_H], [PF, PF_H]] as const) m.mem.writeBytes(at, code!);
  setGate(m, 2, NMI, { ist: opts.ist === false ? 0 : 1 });
  setGate(m, 0x30, TIMER);
  setGate(m, 13, GP, { ist: 2 });
  setGate(m, 14, PF, { ist: 2 });
  m.vcpu.cpu.rip = CODE;
  m.vcpu.cpu.intercepts.io = true; // the host's hook at the handler's "in al, 0x61"
  runToHalt(m); // sti; hlt: idle
  return m;
}

/** Run the guest, calling `atPort61` at each exit for the NMI handler's port read. */
function run(m: VcpuMachine, atPort61: (n: number) => void = () => {}): void {
  let n = 0;
  m.answer = (exit) => {
    if (exit.reason === ExitReason.IO && exit.io?.port === 0x61) atPort61(n++);
    return exit.reason === ExitReason.SINGLESTEP ? 'resume' : 'reinject';
  };
  runToHalt(m);
}

const r = (m: VcpuMachine, reg: number): number => m.vcpu.cpu.lo[reg]! >>> 0;
const traced = (m: VcpuMachine): string[] => m.vcpu.trace.entries().map((e) => e.message);
const before = (log: string[], a: string, b: string): boolean => log.indexOf(a) >= 0 && log.indexOf(a) < log.findIndex((x, k) => k > log.indexOf(a) && x === b);

/** The PTE of a 4 KiB page, found by walking the tables from CR3. */
function pteOf(m: VcpuMachine, la: number): number {
  let table = m.vcpu.cpu.cr3;
  for (let level = 4; level > 1; level--) {
    const idx = Math.floor(la / 2 ** (12 + 9 * (level - 1))) & 511;
    table = (m.mem.view.getUint32(table + idx * 8, true) & ~0xfff) >>> 0;
  }
  return table + (Math.floor(la / 4096) & 511) * 8;
}

for (const vendor of ['intel', 'amd'] as const) {
  describe(`NMIs and IRET tracing (${vendor === 'intel' ? 'vmx' : 'svm'})`, () => {
    it('steps through an NMI taken in HLT without omitting an instruction', () => {
      const m = guest(vendor);
      m.vcpu.nmi();
      m.vcpu.setSingleStep(true);
      run(m);
      const steps = m.exits.filter((e) => e.reason === ExitReason.SINGLESTEP).map((e) => e.rip);
      // inc r8 (3), in al (2), inc r9 (3), iretq (2) back past the hlt, then jmp back to it.
      assert.deepEqual(steps, [NMI + 3, NMI + 5, NMI + 8, CODE + 2, CODE + 1]);
      assert.equal(r(m, Reg.R9), 1);
      if (vendor === 'amd') assert.equal(m.vcpu.stats.vnmiUnblockedPrecisely, 1);
    });

    it('delivers an interrupt that became pending during IRET tracing only after NMIs are unblocked', () => {
      const m = guest(vendor);
      let pending = false;
      m.vcpu.cpu.intc = { pendingVector: () => (pending ? 0x30 : -1), acknowledge: () => { pending = false; }, cr8: 0 };
      m.vcpu.nmi();
      run(m, () => { pending = true; m.vcpu.kick(); });
      assert.equal(r(m, Reg.R10), 1, 'the timer interrupt ran');
      assert.equal(r(m, Reg.R12), 1, 'after the NMI handler had finished');
      if (vendor === 'amd') assert.ok(before(traced(m), 'vNMIs unblocked precisely', 'Delivering interrupt 48'), traced(m).join('\n'));
    });

    it('holds a recursive NMI until the first handler IRETs', () => {
      const m = guest(vendor);
      m.vcpu.nmi();
      run(m, (n) => { if (n === 0) { m.vcpu.nmi(); } });
      assert.equal(r(m, Reg.R8), 2, 'two NMIs handled');
      assert.equal(r(m, Reg.R9), 2);
      if (vendor === 'amd') {
        assert.equal(m.vcpu.stats.vnmiUnblockedPrecisely, 2);
        const log = traced(m);
        assert.ok(log.lastIndexOf('NMI delivered') > log.indexOf('vNMIs unblocked precisely'), log.join('\n'));
      }
    });

    it('reflects a #PF raised by the traced IRET and ends NMI blocking', () => {
      const m = guest(vendor);
      m.vcpu.nmi();
      run(m, () => {
        const pte = pteOf(m, IST1_PAGE);
        m.mem.view.setUint32(VARS, pte, true);
        m.mem.view.setUint32(VARS + 8, m.mem.view.getUint32(pte, true), true);
        m.mem.view.setUint32(pte, m.mem.view.getUint32(pte, true) & ~1, true); // not present
        m.vcpu.cpu.mmu.tlb.flushAll();
      });
      assert.equal(r(m, Reg.R13), 1, 'the guest saw one #PF');
      assert.equal(r(m, Reg.R9), 1, 'and the NMI handler still completed');
      assert.equal(m.vcpu.cpu.nmiBlocked, false);
      if (vendor === 'amd') {
        assert.ok(traced(m).some((l) => l.startsWith('Reflecting exception 14/')), traced(m).join('\n'));
        assert.equal(m.vcpu.stats.vnmiUnblockedPrecisely, 1);
      }
    });

    it('reflects #GP(0) from an IRET to a non-canonical address, and NMIs are unblocked', () => {
      const m = guest(vendor);
      m.vcpu.nmi();
      run(m, () => {
        m.mem.view.setUint32(IST1_TOP - 40, 0xbeefdead, true); // saved RIP := 0xdeadbeefbeefdead
        m.mem.view.setUint32(IST1_TOP - 36, 0xdeadbeef, true);
      });
      assert.equal(r(m, Reg.R11), 1, 'the guest took one #GP');
      // The seed's expected log: blocking ends precisely at the IRET, then the #GP is reflected.
      if (vendor === 'amd') assert.ok(before(traced(m), 'vNMIs unblocked precisely', 'Reflecting exception 13/0 into the guest'), traced(m).join('\n'));
      m.vcpu.nmi(); // blocking is over: another NMI is taken
      run(m);
      assert.equal(r(m, Reg.R8), 2);
    });

    it('handles an NMI through an interrupt gate without IST', () => {
      const m = guest(vendor, { ist: false });
      m.vcpu.nmi();
      run(m);
      assert.equal(r(m, Reg.R9), 1);
      assert.equal(m.vcpu.cpu.nmiBlocked, false);
    });
  });
}

describe('trace_guest_exceptions', () => {
  it('logs and reflects every guest exception', () => {
    const m = vcpuMachine('amd');
    const [code, handler] = assembleMany(['ud2; hlt', 'add qword ptr [rsp], 2; iretq']);
    m.mem.writeBytes(CODE, code!);
    m.mem.writeBytes(NMI, handler!);
    setGate(m, 6, NMI);
    m.vcpu.traceGuestExceptions = true;
    m.vcpu.syncIntercepts();
    m.vcpu.cpu.rip = CODE;
    runToHalt(m);
    assert.equal(m.vcpu.cpu.rip, CODE + 3, 'the handler stepped over ud2 and the guest reached hlt');
    assert.ok(m.vcpu.trace.entries().some((e) => e.message === 'Reflecting exception 6/0 into the guest'));
  });
});
