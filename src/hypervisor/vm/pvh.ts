/**
 * The Xen PVH boot protocol: the kernel's ELF note XEN_ELFNOTE_PHYS32_ENTRY
 * names a 32-bit entry point, entered in flat protected mode with paging off
 * and EBX pointing at `struct hvm_start_info` (xen/include/public/arch-x86/
 * hvm/start_info.h, version 1 with a memory map).
 */
import type { PhysicalMemory } from '../mmu/physical.js';
import type { ElfImage } from './elf.js';

/** Note type of XEN_ELFNOTE_PHYS32_ENTRY (xen/include/public/elfnote.h). */
export const XEN_ELFNOTE_PHYS32_ENTRY = 18;
export const HVM_START_MAGIC = 0x336ec578;

/** E820 types used in the memory map (ACPI "Address Range Types"). */
export const E820 = { RAM: 1, RESERVED: 2, ACPI: 3 } as const;

export interface MemoryRange { base: number; size: number; type: number }

/** The physical entry point from the PVH note, or undefined when the kernel has none. */
export function pvhEntry(elf: ElfImage): number | undefined {
  const note = elf.notes.find((n) => n.name === 'Xen' && n.type === XEN_ELFNOTE_PHYS32_ENTRY);
  if (!note || note.desc.length < 4) return undefined;
  return new DataView(note.desc.buffer, note.desc.byteOffset, note.desc.byteLength).getUint32(0, true);
}

export interface StartInfo {
  /** Where to write the structure, its memory map and the command line (one page is enough). */
  at: number;
  rsdp: number;
  memoryMap: MemoryRange[];
  cmdline: string;
}

/** Write hvm_start_info (56 bytes), then the memory map entries (24 bytes each) and the command line. */
export function writeStartInfo(mem: PhysicalMemory, info: StartInfo): void {
  const v = mem.view, at = info.at;
  const mapAt = at + 64, cmdAt = mapAt + info.memoryMap.length * 24;
  const cmd = new TextEncoder().encode(info.cmdline + '\0');
  mem.bytes.fill(0, at, cmdAt + cmd.length);
  v.setUint32(at + 0, HVM_START_MAGIC, true);
  v.setUint32(at + 4, 1, true);                 // version: has the memory map fields
  v.setUint32(at + 8, 0, true);                 // flags
  v.setUint32(at + 12, 0, true);                // nr_modules
  setU64(v, at + 16, 0);                         // modlist_paddr
  setU64(v, at + 24, cmdAt);                     // cmdline_paddr
  setU64(v, at + 32, info.rsdp);                 // rsdp_paddr
  setU64(v, at + 40, mapAt);                     // memmap_paddr
  v.setUint32(at + 48, info.memoryMap.length, true);
  info.memoryMap.forEach((r, k) => {
    const e = mapAt + k * 24;
    setU64(v, e, r.base);
    setU64(v, e + 8, r.size);
    v.setUint32(e + 16, r.type, true);
  });
  mem.bytes.set(cmd, cmdAt);
}

function setU64(v: DataView, at: number, value: number): void {
  v.setUint32(at, value % 4294967296, true);
  v.setUint32(at + 4, Math.floor(value / 4294967296), true);
}
