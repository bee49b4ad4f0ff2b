/**
 * Delivered-event exits (the monitor's "interrupt delivered" reason, Xen's
 * VM_EVENT_REASON_INTERRUPT): after an event has gone through the guest's
 * IDT — INT n, an exception (with its error code and, for #PF, CR2), an
 * injected NMI — the vCPU stops at the handler's first instruction, and
 * nothing about the delivery changes. The same on both personalities.
 */
import assert from 'node:assert/strict';
import { EventKind, ExitReason, type VmExit } from '../../../src/hypervisor/vcpu/exit.js';
import { Reg } from '../../../src/hypervisor/cpu/regs.js';
import { assembleMany } from '../../support/asm.js';
import { CODE, runToHalt, setGate, vcpuMachine } from '../../support/vcpu-machine.js';

const SOFT = 0x180000, UD = 0x181000, NMI = 0x182000;
const [MAIN, SOFT_H, UD_H, NMI_H] = assembleMany([
  'int 0x30; ud2; hlt',
  'inc r8; iretq',
  'inc r9; add qword ptr [rsp], 2; iretq',
  'inc r10; iretq',
]);

describe('delivered-event exits', () => {
  for (const vendor of ['intel', 'amd'] as const) {
    it(`stops at each handler after INT n, an exception and an injected NMI (${vendor})`, () => {
      const m = vcpuMachine(vendor);
      m.mem.writeBytes(CODE, MAIN!);
      for (const [at, code, vector] of [[SOFT, SOFT_H, 0x30], [UD, UD_H, 6], [NMI, NMI_H, 2]] as const) {
        m.mem.writeBytes(at, code!);
        setGate(m, vector, at);
      }
      m.vcpu.cpu.rip = CODE;
      m.vcpu.cpu.intercepts.delivered = true;
      m.vcpu.inject({ vector: 2, type: EventKind.NMI });
      runToHalt(m);
      const delivered = m.exits.filter((e) => e.reason === ExitReason.INTERRUPT);
      const shape = (e: VmExit) => ({ rip: e.rip, ...e.exception! });
      assert.deepEqual(delivered.map(shape), [
        { rip: NMI, vector: 2, type: EventKind.NMI },
        { rip: SOFT, vector: 0x30, type: EventKind.SW_INTERRUPT },
        { rip: UD, vector: 6, type: EventKind.HW_EXCEPTION },
      ]);
      assert.deepEqual([Reg.R8, Reg.R9, Reg.R10].map((r) => m.vcpu.cpu.lo[r]), [1, 1, 1], 'every handler ran once');
    });
  }
});
