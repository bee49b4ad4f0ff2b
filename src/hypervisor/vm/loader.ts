/**
 * Loading a kernel: PT_LOAD segments at their physical addresses, then the
 * boot protocol the image asks for — Xen PVH if it has the PHYS32_ENTRY note,
 * else Multiboot v1 if it has the header. Anything else is refused with a
 * clear error (tsvmi's direct 64-bit boot remains available for bare test
 * programs, but only when asked for).
 */
import type { Cpu } from '../cpu/cpu.js';
import { Reg } from '../cpu/regs.js';
import { enterFlat32 } from '../cpu/reset.js';
import type { PhysicalMemory } from '../mmu/physical.js';
import { bootDirect64, loadSegments } from './boot-direct64.js';
import { parseElf, type ElfImage } from './elf.js';
import { LoaderError } from './errors.js';
import { BOOT_INFO_ADDR, memoryMap } from './memory-map.js';
import { MULTIBOOT_BOOTLOADER_MAGIC, findMultibootHeader, writeMultibootInfo } from './multiboot.js';
import { pvhEntry, writeStartInfo } from './pvh.js';

export const BootProtocol = { PVH: 'pvh', MULTIBOOT: 'multiboot', DIRECT64: 'direct64' } as const;
export type BootProtocol = (typeof BootProtocol)[keyof typeof BootProtocol];

export interface LoadOptions {
  /** Physical address of the ACPI RSDP the platform built. */
  rsdp: number;
  cmdline?: string;
  /** Only for bare 64-bit test programs without a boot header. */
  allowDirect64?: boolean;
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
    cpu.lo[Reg.RAX] = MULTIBOOT_BOOTLOADER_MAGIC;
    cpu.lo[Reg.RBX] = BOOT_INFO_ADDR;
    cpu.rip = entry;
    return { protocol: BootProtocol.MULTIBOOT, entry, elf };
  }
  if (opts.allowDirect64) {
    bootDirect64(cpu, mem, elf);
    return { protocol: BootProtocol.DIRECT64, entry: elf.entry, elf };
  }
  throw new LoaderError('the kernel has neither a Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) nor a Multiboot header; tsvmi cannot tell how to start it');
}
