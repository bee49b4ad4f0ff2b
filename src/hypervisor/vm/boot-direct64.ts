/**
 * tsvmi's direct 64-bit boot: for freestanding test programs that expect to
 * start in long mode rather than through a firmware protocol. The loader
 * copies PT_LOAD segments to their physical addresses, identity-maps the low
 * memory with 2 MiB pages, and starts at the ELF entry in 64-bit mode, CPL 0,
 * interrupts off, with RSP near the top of RAM and RDI = 0.
 */
import type { Cpu } from '../cpu/cpu.js';
import { Reg } from '../cpu/regs.js';
import { PageTableBuilder } from '../mmu/page-table-builder.js';
import type { PhysicalMemory } from '../mmu/physical.js';
import { PT_LOAD, type ElfImage } from './elf.js';
import { LoaderError } from './errors.js';

const GIB = 1 << 30;
const TABLE_AREA = 64 * 1024;

export function loadSegments(mem: PhysicalMemory, elf: ElfImage): void {
  for (const s of elf.segments) {
    if (s.type !== PT_LOAD || s.memsz === 0) continue;
    if (s.paddr < 0 || s.paddr + s.memsz > mem.size) {
      throw new LoaderError(`segment at physical 0x${s.paddr.toString(16)} (+0x${s.memsz.toString(16)}) does not fit in ${mem.size >> 20} MiB of guest RAM`);
    }
    mem.writeBytes(s.paddr, elf.bytes.subarray(s.offset, s.offset + s.filesz));
    mem.bytes.fill(0, s.paddr + s.filesz, s.paddr + s.memsz);
  }
}

export function bootDirect64(cpu: Cpu, mem: PhysicalMemory, elf: ElfImage): void {
  loadSegments(mem, elf);
  // Page tables live at the top of RAM, below a 64 KiB initial stack.
  const tablesTop = mem.size - TABLE_AREA;
  const pt = new PageTableBuilder(mem, tablesTop, tablesTop - TABLE_AREA);
  pt.map(0, 0, Math.min(GIB, Math.ceil(mem.size / 0x200000) * 0x200000), { pageSize: 0x200000 });
  cpu.enterLongMode(pt.cr3);
  // Bare programs have no IDT: an exception ends the run and is reported, rather than triple-faulting.
  cpu.onException = () => false;
  if (elf.entry < 0 || elf.entry >= mem.size) throw new LoaderError(`entry point 0x${elf.entry.toString(16)} is outside guest RAM`);
  cpu.rip = elf.entry;
  cpu.lo[Reg.RSP] = mem.size - 16;
  cpu.hi[Reg.RSP] = 0;
}
