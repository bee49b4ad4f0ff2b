/**
 * Guest-physical memory: one contiguous RAM block from address 0, plus a hook
 * for the platform (MMIO devices) above it. A 64 MiB guest costs one 64 MiB
 * ArrayBuffer and a few small per-page tables.
 *
 * Code pages: the CPU's decoded-instruction cache registers every page it has
 * decoded from. Any write to such a page (by the guest, a device or a debugger
 * poke) calls `onCodeWrite` first, so breakpoints written as int3 are seen on
 * the very next fetch.
 */
import { PageAccessTable } from './page-access.js';
import { PAGE_SHIFT } from './paging-bits.js';

/** Accesses to guest-physical addresses outside RAM: MMIO devices (see devices/bus). */
export interface MmioHandler {
  /** Read `size` bytes (1, 2, 4 or 8; 8 returns the low half and sets `hi`) or return undefined if unclaimed. */
  mmioRead(pa: number, size: number): number | undefined;
  mmioWrite(pa: number, size: number, value: number): boolean;
}

export class PhysicalMemory {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly pages: number;
  /** Non-zero for pages holding decoded code. */
  readonly codePages: Uint8Array;
  /** Called before a write lands in a code page. */
  onCodeWrite: (page: number) => void = () => {};
  mmio: MmioHandler | undefined;
  /** Second-level r/w/x per frame, set by introspection (page-access.ts). */
  readonly access: PageAccessTable;

  constructor(readonly size: number) {
    if (size <= 0 || size % 4096 !== 0) throw new RangeError(`guest memory size must be a positive multiple of 4 KiB, got ${size}`);
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.pages = size >>> PAGE_SHIFT;
    this.codePages = new Uint8Array(this.pages);
    this.access = new PageAccessTable(this.pages);
  }

  isRam(pa: number, len = 1): boolean {
    return pa >= 0 && pa + len <= this.size;
  }

  /** Mark a page as holding decoded code (the decode cache calls this). */
  markCode(page: number): void {
    this.codePages[page] = 1;
  }

  /** Invalidate decoded code in the pages touched by a write of `len` bytes at `pa`. */
  noteWrite(pa: number, len: number): void {
    const first = pa >>> PAGE_SHIFT, last = (pa + len - 1) >>> PAGE_SHIFT;
    for (let p = first; p <= last; p++) {
      if (this.codePages[p]) {
        this.codePages[p] = 0;
        this.onCodeWrite(p);
      }
    }
  }

  // Sized accessors for RAM; callers check `isRam` (the MMU does) or accept a RangeError.
  read8(pa: number): number { return this.bytes[pa]!; }
  read16(pa: number): number { return this.view.getUint16(pa, true); }
  read32(pa: number): number { return this.view.getInt32(pa, true); }

  write8(pa: number, v: number): void {
    if (this.codePages[pa >>> PAGE_SHIFT]) this.noteWrite(pa, 1);
    this.bytes[pa] = v;
  }
  write16(pa: number, v: number): void {
    this.noteWrite(pa, 2);
    this.view.setUint16(pa, v, true);
  }
  write32(pa: number, v: number): void {
    this.noteWrite(pa, 4);
    this.view.setInt32(pa, v, true);
  }

  /** Copy bytes out (a side-effect-free read for loaders and debuggers). */
  readBytes(pa: number, len: number): Uint8Array {
    if (!this.isRam(pa, len)) throw new RangeError(`physical range 0x${pa.toString(16)}+${len} is outside RAM`);
    return this.bytes.slice(pa, pa + len);
  }

  /** Copy bytes in, invalidating decoded code they overwrite. */
  writeBytes(pa: number, data: Uint8Array): void {
    if (!this.isRam(pa, data.length)) throw new RangeError(`physical range 0x${pa.toString(16)}+${data.length} is outside RAM`);
    if (data.length) this.noteWrite(pa, data.length);
    this.bytes.set(data, pa);
  }
}
