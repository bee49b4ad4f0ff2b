/**
 * Builds 4-level page tables in guest-physical memory, for loaders and tests:
 * the hypervisor's stand-in for the firmware or boot code that would otherwise
 * set up long mode. Tables are allocated downwards from `top` (exclusive).
 */
import type { PhysicalMemory } from './physical.js';
import { PAGE_SIZE, Pte } from './paging-bits.js';

export interface MapOptions {
  writable?: boolean;
  user?: boolean;
  noExec?: boolean;
  /** 4 KiB (default), 2 MiB or 1 GiB leaves. */
  pageSize?: 4096 | 0x200000 | 0x40000000;
}

const TWO32 = 4294967296;

export class PageTableBuilder {
  /** Physical address of the PML4: the value for CR3. */
  readonly cr3: number;
  private next: number;

  constructor(private readonly mem: PhysicalMemory, top: number, private readonly bottom = 0) {
    this.next = top;
    this.cr3 = this.alloc();
  }

  private alloc(): number {
    this.next -= PAGE_SIZE;
    if (this.next < this.bottom) throw new RangeError('page-table area exhausted');
    this.mem.bytes.fill(0, this.next, this.next + PAGE_SIZE);
    return this.next;
  }

  /** Lowest physical address used by tables so far. */
  get low(): number {
    return this.next;
  }

  /** Map [la, la+size) to [pa, pa+size). Addresses must be aligned to the page size. */
  map(la: number, pa: number, size: number, opts: MapOptions = {}): void {
    const ps = opts.pageSize ?? PAGE_SIZE;
    if (la % ps !== 0 || pa % ps !== 0 || size % ps !== 0) throw new RangeError(`unaligned mapping for page size ${ps}`);
    const leafLevel = ps === PAGE_SIZE ? 1 : ps === 0x200000 ? 2 : 3;
    const flags = Pte.P | (opts.writable !== false ? Pte.RW : 0) | (opts.user ? Pte.US : 0);
    for (let off = 0; off < size; off += ps) {
      let table = this.cr3;
      for (let level = 4; level > leafLevel; level--) {
        const e = table + this.index(la + off, level) * 8;
        let lo = this.mem.view.getInt32(e, true);
        if ((lo & Pte.P) === 0) {
          // Intermediate entries grant everything; the leaf decides.
          lo = this.alloc() | Pte.P | Pte.RW | Pte.US;
          this.mem.view.setInt32(e, lo, true);
          this.mem.view.setInt32(e + 4, 0, true);
        }
        table = (lo & ~0xfff) >>> 0;
      }
      const e = table + this.index(la + off, leafLevel) * 8;
      const target = pa + off;
      this.mem.view.setInt32(e, ((target % TWO32) | flags | (leafLevel > 1 ? Pte.PS : 0)) | 0, true);
      this.mem.view.setInt32(e + 4, (Math.floor(target / TWO32) | (opts.noExec ? Pte.XD_HI : 0)) | 0, true);
    }
  }

  private index(la: number, level: number): number {
    return Math.floor(la / 2 ** (12 + 9 * (level - 1))) & 511;
  }
}
