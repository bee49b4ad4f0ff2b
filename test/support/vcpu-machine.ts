/**
 * A long-mode vCPU with a vendor personality and a real IDT, for tests of
 * exits, stepping and event delivery: handlers are guest code assembled by GNU
 * as, placed at fixed addresses. Exits are collected by an exit handler.
 */
import { SvmPersonality } from '../../src/hypervisor/arch/svm.js';
import { VmxPersonality } from '../../src/hypervisor/arch/vmx.js';
import { CodeCache } from '../../src/hypervisor/cpu/code-cache.js';
import { StopReason } from '../../src/hypervisor/cpu/cpu.js';
import { opcodeTable } from '../../src/hypervisor/cpu/ops/index.js';
import { Reg } from '../../src/hypervisor/cpu/regs.js';
import { PageTableBuilder } from '../../src/hypervisor/mmu/page-table-builder.js';
import { PhysicalMemory } from '../../src/hypervisor/mmu/physical.js';
import type { VmExit } from '../../src/hypervisor/vcpu/exit.js';
import { Vcpu, VcpuState, type ExitAction } from '../../src/hypervisor/vcpu/vcpu.js';

export const CODE = 0x100000;
export const STACK_TOP = 0x200000;
const IDT = 0x10000, GDT = 0x11000, TSS = 0x12000;
/** IST stacks live in 4 KiB pages above the 2 MiB-mapped low memory, so a test can unmap one. */
export const IST1_PAGE = 0x1000000, IST2_PAGE = 0x1002000;

export interface VcpuMachine {
  vcpu: Vcpu;
  mem: PhysicalMemory;
  pt: PageTableBuilder;
  exits: VmExit[];
  /** Answer for each exit (default: as if unmonitored). */
  answer: (exit: VmExit) => ExitAction;
}

/** 32 MiB of RAM identity mapped, a GDT, a TSS with IST1 and IST2, and an empty IDT. */
export function vcpuMachine(vendor: 'intel' | 'amd'): VcpuMachine {
  const mem = new PhysicalMemory(32 << 20);
  const pt = new PageTableBuilder(mem, mem.size, mem.size - (1 << 20));
  // All of RAM identity mapped, the 2 MiB at IST1_PAGE with 4 KiB pages (guests may edit their own PTEs).
  pt.map(0, 0, 16 << 20, { pageSize: 0x200000 });
  pt.map(IST1_PAGE, IST1_PAGE, 0x200000);
  pt.map(18 << 20, 18 << 20, 14 << 20, { pageSize: 0x200000 });
  const vcpu = new Vcpu(0, mem, opcodeTable(), new CodeCache(mem));
  vcpu.cpu.enterLongMode(pt.cr3);
  vcpu.cpu.vendor = vendor;
  // GDT: null, 0x08 64-bit code, 0x10 data, 0x18 64-bit TSS (16 bytes).
  const v = mem.view;
  v.setUint32(GDT + 8, 0x0000ffff, true); v.setUint32(GDT + 12, 0x00af9b00, true);
  v.setUint32(GDT + 16, 0x0000ffff, true); v.setUint32(GDT + 20, 0x00cf9300, true);
  v.setUint32(GDT + 24, 0x0067 | ((TSS & 0xffff) << 16), true); v.setUint32(GDT + 28, ((TSS >>> 16) & 0xff) | 0x8900, true);
  v.setUint32(TSS + 36, IST1_PAGE + 0x1000, true); // IST1
  v.setUint32(TSS + 44, IST2_PAGE + 0x1000, true); // IST2
  Object.assign(vcpu.cpu, { gdtBase: GDT, gdtLimit: 39, idtBase: IDT, idtLimit: 256 * 16 - 1, trSel: 0x18, trBase: TSS, trLimit: 0x67 });
  vcpu.cpu.lo[Reg.RSP] = STACK_TOP;
  vcpu.setPersonality(vendor === 'amd' ? new SvmPersonality() : new VmxPersonality());
  const m: VcpuMachine = { vcpu, mem, pt, exits: [], answer: () => 'reinject' };
  vcpu.exitHandler = (exit) => { m.exits.push(exit); return m.answer(exit); };
  return m;
}

/** Point IDT vector `vector` at `handler` (64-bit interrupt gate, or trap gate; optional IST). */
export function setGate(m: VcpuMachine, vector: number, handler: number, opts: { trap?: boolean; ist?: number; dpl?: number } = {}): void {
  const at = IDT + vector * 16, v = m.mem.view;
  v.setUint32(at, (handler & 0xffff) | (0x08 << 16), true);
  v.setUint32(at + 4, (handler & 0xffff0000) | 0x8000 | ((opts.dpl ?? 0) << 13) | ((opts.trap ? 0xf : 0xe) << 8) | (opts.ist ?? 0), true);
  v.setUint32(at + 8, 0, true);
}

/** Run until HLT (or `max` instructions), settling exits the way the domain's scheduler does. */
export function runToHalt(m: VcpuMachine, max = 20_000): void {
  const v = m.vcpu;
  for (let n = 0; n < max && v.state === VcpuState.RUNNING; n++) {
    if (v.paused) return;
    v.cpu.run(1_000_000);
    v.settle();
    if (v.cpu.stopReason === StopReason.HALT || v.cpu.stopReason === StopReason.FAULT) return;
  }
}
