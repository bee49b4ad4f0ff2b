/**
 * A direct-mapped software TLB of 4 KiB translations. Large pages are cached
 * as the 4 KiB pieces actually touched; `hasLarge` makes INVLPG flush
 * everything while any such piece is present, because INVLPG must drop the
 * whole large translation (SDM Vol. 3A §4.10.4.1).
 */
import { PAGE_MASK } from './paging-bits.js';

export const TLB_SIZE = 1024;
export const TLB_MASK = TLB_SIZE - 1;

export class Tlb {
  /** Linear page base (canonical signed form) per slot; NaN when empty. */
  readonly tag = new Float64Array(TLB_SIZE).fill(NaN);
  /** Guest-physical page base per slot (RAM pages only). */
  readonly phys = new Float64Array(TLB_SIZE);
  /** `Perm` bits per slot. */
  readonly perm = new Uint8Array(TLB_SIZE);
  hasLarge = false;
  /**
   * Bumped whenever translations or the privilege they are used at may change.
   * Anything derived from a translation (the decode cache's block links) is
   * trusted only while the epoch it was made in lasts.
   */
  epoch = 0;

  static slot(la: number): number {
    return (la >>> 12) & TLB_MASK;
  }

  fill(la: number, pa: number, perm: number): void {
    const i = Tlb.slot(la);
    this.tag[i] = la - (la & PAGE_MASK);
    this.phys[i] = pa - (pa & PAGE_MASK);
    this.perm[i] = perm;
    if (perm & 64 /* Perm.LARGE */) this.hasLarge = true;
  }

  flushAll(): void {
    this.tag.fill(NaN);
    this.hasLarge = false;
    this.epoch++;
  }

  flushPage(la: number): void {
    if (this.hasLarge) return this.flushAll();
    this.tag[Tlb.slot(la)] = NaN;
    this.epoch++;
  }
}
