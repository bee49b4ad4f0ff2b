/**
 * Loading a kernel: PT_LOAD segments at their physical addresses, then the
 * boot protocol the image asks for — Xen PVH if it has the PHYS32_ENTRY note,
 * else Multiboot v1 if it has the header. Anything else is refused with a
 * clear error, as QEMU's `-kernel` would.
 */
import type { Cpu } from '../cpu/cpu.js';
import { Reg } from '../cpu/regs.js';
import { enterFlat32 } from '../cpu/reset.js';
import type { PhysicalMemory } from '../mmu/physical.js';
import { PT_LOAD, parseElf, type ElfImage } from './elf.js';
import { LoaderError } from './errors.js';
import { installBootGdt } from './boot-gdt.js';
import { BOOT_GDT_ADDR, BOOT_INFO_ADDR, memoryMap } from './memory-map.js';
import { MULTIBOOT_BOOTLOADER_MAGIC, findMultibootHeader, writeMultibootInfo } from './multiboot.js';
import { pvhEntry, writeStartInfo } from './pvh.js';

export const BootProtocol = { PVH: 'pvh', MULTIBOOT: 'multiboot' } as const;
export type BootProtocol = (typeof BootProtocol)[keyof typeof BootProtocol];

export interface LoadOptions {
  /** Physical address of the ACPI RSDP the platform built. */
  rsdp: number;
  cmdline?: string;
}

export interface Loaded {
  protocol: BootProtocol;
  entry: number;
  elf: ElfImage;
}

export function loadKernel(cpu: Cpu, mem: PhysicalMemory, image: Uint8Array, opts: LoadOptions): Loaded {
  const elf = parseElf(image);
  const pvh = pvhEntry(elf);
  if (pvh !== undefined) {
    loadSegments(mem, elf);
    writeStartInfo(mem, { at: BOOT_INFO_ADDR, rsdp: opts.rsdp, memoryMap: memoryMap(mem.size), cmdline: opts.cmdline ?? '' });
    enterFlat32(cpu);
    installBootGdt(cpu, mem, BOOT_GDT_ADDR);
    cpu.lo[Reg.RBX] = BOOT_INFO_ADDR;
    cpu.rip = pvh;
    return { protocol: BootProtocol.PVH, entry: pvh, elf };
  }
  const mb = findMultibootHeader(image);
  if (mb !== undefined) {
    let entry = elf.entry;
    if (mb.addresses) {
      const a = mb.addresses;
      const start = a.offset - (a.headerAddr - a.loadAddr);
      const end = a.loadEndAddr ? a.loadEndAddr - a.loadAddr : image.length - start;
      if (start < 0 || start + end > image.length || a.loadAddr + end > mem.size) throw new LoaderError('the Multiboot address fields do not fit the image or guest RAM');
      mem.writeBytes(a.loadAddr, image.subarray(start, start + end));
      if (a.bssEndAddr > a.loadAddr + end) mem.bytes.fill(0, a.loadAddr + end, a.bssEndAddr);
      entry = a.entryAddr;
    } else {
      loadSegments(mem, elf);
    }
    writeMultibootInfo(mem, BOOT_INFO_ADDR, memoryMap(mem.size), opts.cmdline ?? '');
    enterFlat32(cpu);
    installBootGdt(cpu, mem, BOOT_GDT_ADDR);
    cpu.lo[Reg.RAX] = MULTIBOOT_BOOTLOADER_MAGIC;
    cpu.lo[Reg.RBX] = BOOT_INFO_ADDR;
    cpu.rip = entry;
    return { protocol: BootProtocol.MULTIBOOT, entry, elf };
  }
  throw new LoaderError('the kernel has neither a Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) nor a Multiboot header; tsvmi cannot tell how to start it');
}

/** Copy each PT_LOAD segment to its physical address and zero the rest of its memory size. */
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
