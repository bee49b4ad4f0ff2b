/**
 * A bare long-mode CPU for unit tests: RAM, identity-mapped page tables, and
 * helpers to place code and read registers as BigInts (test code only).
 */
import { Cpu } from '../../src/hypervisor/cpu/cpu.js';
import { opcodeTable } from '../../src/hypervisor/cpu/ops/index.js';
import { PageTableBuilder, type MapOptions } from '../../src/hypervisor/mmu/page-table-builder.js';
import { PhysicalMemory } from '../../src/hypervisor/mmu/physical.js';

export interface TestMachine {
  cpu: Cpu;
  mem: PhysicalMemory;
  pt: PageTableBuilder;
}

/** RAM of `mib` MiB; the low 16 MiB identity mapped (supervisor, writable); tables at the top of RAM. */
export function testMachine(mib = 32, opts: MapOptions = {}): TestMachine {
  const mem = new PhysicalMemory(mib << 20);
  const pt = new PageTableBuilder(mem, mem.size, mem.size - (1 << 20));
  pt.map(0, 0, 16 << 20, { pageSize: 0x200000, ...opts });
  const cpu = new Cpu(mem, opcodeTable());
  cpu.enterLongMode(pt.cr3);
  // No IDT here: a fault stops the CPU so that tests can look at it.
  cpu.onException = () => false;
  return { cpu, mem, pt };
}

export function getReg(cpu: Cpu, r: number): bigint {
  return (BigInt(cpu.hi[r]! >>> 0) << 32n) | BigInt(cpu.lo[r]! >>> 0);
}

export function setReg(cpu: Cpu, r: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  cpu.lo[r] = Number(u & 0xffffffffn) | 0;
  cpu.hi[r] = Number(u >> 32n) | 0;
}

/** Copy code to `addr`, point RIP at it, and run until HLT, a fault, or `max` instructions. */
export function runCode(m: TestMachine, code: number[] | Uint8Array, addr = 0x100000, max = 10_000): number {
  m.mem.writeBytes(addr, Uint8Array.from(code));
  m.cpu.rip = addr;
  return m.cpu.run(max);
}
