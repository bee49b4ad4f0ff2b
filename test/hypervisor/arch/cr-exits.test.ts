/**
 * Control-register write exits (SDM Vol. 3C §25.1.3): MOV to CR, and CLTS and
 * LMSW, which write CR0 without naming it, all stop before the write with the
 * value to be written; reinjected the write happens, dropped it is denied and
 * the instruction skipped.
 */
import assert from 'node:assert/strict';
import { Cr0 } from '../../../src/hypervisor/cpu/cpu.js';
import { ExitReason } from '../../../src/hypervisor/vcpu/exit.js';
import { assembleMany } from '../../support/asm.js';
import { CODE, runToHalt, vcpuMachine, type VcpuMachine } from '../../support/vcpu-machine.js';

const [MAIN] = assembleMany(['mov rax, cr3; mov cr3, rax; clts; mov eax, 0x8; lmsw ax; hlt']);

function run(vendor: 'intel' | 'amd', action: 'reinject' | 'drop'): VcpuMachine {
  const m = vcpuMachine(vendor);
  m.mem.writeBytes(CODE, MAIN!);
  m.vcpu.cpu.rip = CODE;
  m.vcpu.cpu.cr0 = (m.vcpu.cpu.cr0 | Cr0.TS) >>> 0; // for CLTS to clear
  m.vcpu.cpu.intercepts.crWrites = (1 << 0) | (1 << 3);
  m.answer = () => action;
  runToHalt(m);
  return m;
}

describe('control-register write exits', () => {
  for (const vendor of ['intel', 'amd'] as const) {
    it(`reports MOV to CR3, CLTS and LMSW with the values they write (${vendor})`, () => {
      const m = run(vendor, 'reinject');
      const cr0 = m.vcpu.cpu.cr0;
      const exits = m.exits.filter((e) => e.reason === ExitReason.CR_WRITE);
      assert.deepEqual(exits.map((e) => [e.cr!.index, e.rip - CODE, e.instructionLength]), [[3, 3, 3], [0, 6, 2], [0, 13, 3]]);
      assert.equal(exits[0]!.cr!.value, m.vcpu.cpu.cr3);
      assert.equal(exits[1]!.cr!.value & Cr0.TS, 0, 'CLTS writes CR0 with TS clear');
      assert.equal(exits[2]!.cr!.value, cr0, 'LMSW sets TS again: the value reported is the value written');
      assert.ok(cr0 & Cr0.TS);
    });

    it(`denies the writes when dropped (${vendor})`, () => {
      const m = run(vendor, 'drop');
      assert.equal(m.exits.filter((e) => e.reason === ExitReason.CR_WRITE).length, 3);
      assert.ok(m.vcpu.cpu.cr0 & Cr0.TS, 'CLTS skipped: TS still set');
    });
  }
});
