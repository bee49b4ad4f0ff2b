/**
 * Multiboot v1 (the GNU Multiboot Specification 0.6.96): a header with magic
 * 0x1BADB002 in the first 8 KiB of the image; the kernel starts in flat 32-bit
 * protected mode with EAX = 0x2BADB002 and EBX pointing at the multiboot
 * information structure (§3.3), here with memory sizes and a memory map.
 */
import type { PhysicalMemory } from '../mmu/physical.js';
import { LoaderError } from './errors.js';
import type { MemoryRange } from './pvh.js';

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
const SEARCH = 8192;
/** Header flag bit 16: the address fields are valid (the "a.out kludge"). */
const FLAG_ADDRESSES = 1 << 16;
/** Flag bit 2: the kernel wants video mode information, which this platform cannot give. */
const FLAG_VIDEO = 1 << 2;

export interface MultibootHeader {
  flags: number;
  /** Present with FLAG_ADDRESSES: load the file at load_addr and jump to entry_addr. */
  addresses?: { headerAddr: number; loadAddr: number; loadEndAddr: number; bssEndAddr: number; entryAddr: number; offset: number };
}

export function findMultibootHeader(image: Uint8Array): MultibootHeader | undefined {
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  for (let off = 0; off + 12 <= Math.min(SEARCH, image.length); off += 4) {
    if (v.getUint32(off, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = v.getUint32(off + 4, true), check = v.getUint32(off + 8, true);
    if (((MULTIBOOT_HEADER_MAGIC + flags + check) >>> 0) !== 0) continue;
    if (flags & FLAG_VIDEO) throw new LoaderError('the Multiboot header asks for a video mode, which tsvmi does not provide');
    if (!(flags & FLAG_ADDRESSES)) return { flags };
    if (off + 32 > image.length) throw new LoaderError('truncated Multiboot header');
    return {
      flags,
      addresses: {
        headerAddr: v.getUint32(off + 12, true), loadAddr: v.getUint32(off + 16, true), loadEndAddr: v.getUint32(off + 20, true),
        bssEndAddr: v.getUint32(off + 24, true), entryAddr: v.getUint32(off + 28, true), offset: off,
      },
    };
  }
  return undefined;
}

/** Write the multiboot information structure at `at` with mem_lower/upper (flag 0) and mmap (flag 6). */
export function writeMultibootInfo(mem: PhysicalMemory, at: number, map: MemoryRange[], cmdline: string): void {
  const v = mem.view;
  const mmapAt = at + 128;
  const cmdAt = mmapAt + map.length * 24;
  const cmd = new TextEncoder().encode(cmdline + '\0');
  mem.bytes.fill(0, at, cmdAt + cmd.length);
  const lower = map.find((r) => r.base === 0 && r.type === 1)?.size ?? 0;
  const upper = map.find((r) => r.base === 0x100000 && r.type === 1)?.size ?? 0;
  v.setUint32(at, 1 | (1 << 2) | (1 << 6), true);     // mem_*, cmdline, mmap_*
  v.setUint32(at + 4, Math.floor(lower / 1024), true);
  v.setUint32(at + 8, Math.floor(upper / 1024), true);
  v.setUint32(at + 16, cmdAt, true);
  v.setUint32(at + 44, map.length * 24, true);
  v.setUint32(at + 48, mmapAt, true);
  map.forEach((r, k) => {
    // Each entry starts with its size, which does not count the size field itself.
    const e = mmapAt + k * 24;
    v.setUint32(e, 20, true);
    v.setUint32(e + 4, r.base % 4294967296, true);
    v.setUint32(e + 8, Math.floor(r.base / 4294967296), true);
    v.setUint32(e + 12, r.size % 4294967296, true);
    v.setUint32(e + 16, Math.floor(r.size / 4294967296), true);
    v.setUint32(e + 20, r.type, true);
  });
  mem.bytes.set(cmd, cmdAt);
}
