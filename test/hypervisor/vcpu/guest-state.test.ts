/**
 * Loading system state from outside (guest-state.ts): a vCPU just out of
 * reset, in real mode, takes a whole long-mode state in one load and runs
 * 64-bit code on those page tables; states VM entry would refuse (SDM Vol. 3C
 * §26.3.1) are refused with the rule, and leave the vCPU exactly as it was.
 */
import assert from 'node:assert/strict';
import { CodeCache } from '../../../src/hypervisor/cpu/code-cache.js';
import { StopReason } from '../../../src/hypervisor/cpu/cpu.js';
import { opcodeTable } from '../../../src/hypervisor/cpu/ops/index.js';
import { Cr0, Cr4, Efer, Reg, Seg } from '../../../src/hypervisor/cpu/regs.js';
import { resetCpu } from '../../../src/hypervisor/cpu/reset.js';
import { GuestStateError, loadSystemState, type SystemState } from '../../../src/hypervisor/vcpu/guest-state.js';
import { Vcpu } from '../../../src/hypervisor/vcpu/vcpu.js';
import { assemble } from '../../support/asm.js';
import { CODE, vcpuMachine } from '../../support/vcpu-machine.js';

/** The long-mode state of a configured vCPU, as a client would send it. */
function longModeState(): { state: SystemState; mem: ReturnType<typeof vcpuMachine>['mem'] } {
  const m = vcpuMachine('intel'), c = m.vcpu.cpu;
  const segments = new Map([Seg.ES, Seg.CS, Seg.SS, Seg.DS, Seg.FS, Seg.GS].map((s) => [s, { selector: c.segSel[s]!, base: c.segBase[s]!, limit: c.segLimit[s]!, attributes: c.segAttr[s]! }]));
  return {
    mem: m.mem,
    state: { cr0: c.cr0, cr3: c.cr3, cr4: c.cr4, efer: c.efer, segments, gdtr: { base: c.gdtBase, limit: c.gdtLimit }, idtr: { base: c.idtBase, limit: c.idtLimit } },
  };
}

function freshVcpu(mem: ReturnType<typeof vcpuMachine>['mem']): Vcpu {
  const v = new Vcpu(1, mem, opcodeTable(), new CodeCache(mem));
  resetCpu(v.cpu);
  return v;
}

describe('loading system state from outside', () => {
  it('takes a real-mode vCPU to 64-bit paged mode in one load, and it runs there', () => {
    const { state, mem } = longModeState();
    const v = freshVcpu(mem), c = v.cpu;
    assert.equal(c.codeBits, 16);
    loadSystemState(c, state);
    assert.equal(c.codeBits, 64);
    assert.equal(c.cpl, 0);
    mem.writeBytes(CODE, assemble('movabs rax, 0x1122334455667788; mov [0x1000000], rax; mov rbx, [0x1000000]; hlt'));
    c.rip = CODE;
    c.lo[Reg.RSP] = 0x200000;
    c.run(100);
    assert.equal(c.stopReason, StopReason.HALT);
    assert.deepEqual([c.hi[Reg.RBX], c.lo[Reg.RBX]], [0x11223344, 0x55667788], 'a 64-bit store and load through the loaded page tables');
  });

  it('refuses what VM entry refuses, and changes nothing', () => {
    const { state, mem } = longModeState();
    const cases: Array<[SystemState, RegExp]> = [
      [{ ...state, cr4: (state.cr4! & ~Cr4.PAE) >>> 0 }, /CR4\.PAE/],
      [{ ...state, cr0: (state.cr0! & ~Cr0.PE) >>> 0 }, /CR0\.PG needs CR0\.PE/],
      [{ ...state, efer: state.efer! & ~Efer.LMA }, /LMA must equal EFER\.LME/],
      [{ ...state, cr4: Cr4.PAE | (1 << 20) }, /does not implement/],
      [{ ...state, fsBase: 2 ** 50 }, /not canonical/],
      [{ ...state, segments: new Map([[Seg.CS, { ...state.segments!.get(Seg.CS)!, attributes: state.segments!.get(Seg.CS)!.attributes | 0x4000 }]]) }, /CS\.D clear/],
    ];
    for (const [bad, rule] of cases) {
      const v = freshVcpu(mem), c = v.cpu;
      const before = JSON.stringify({ cr: [c.cr0, c.cr3, c.cr4, c.efer], seg: [...c.segAttr, ...c.segBase], bits: c.codeBits });
      assert.throws(() => loadSystemState(c, bad), (e: unknown) => e instanceof GuestStateError && rule.test(e.message));
      assert.equal(JSON.stringify({ cr: [c.cr0, c.cr3, c.cr4, c.efer], seg: [...c.segAttr, ...c.segBase], bits: c.codeBits }), before, String(rule));
    }
  });
});
