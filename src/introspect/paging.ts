/**
 * Guest-virtual to guest-physical translation done by the client, as libvmi
 * does it (vmi_pagetable_lookup): a 4-level IA-32e walk (SDM Vol. 3A §4.5)
 * over physical reads, so that a tool can translate through any process's page
 * tables (any DTB) without asking the domain to. Only long-mode 4-level paging
 * is walked: the guests this SDK knows (the demo OS) run in it.
 */
import { RefusedError } from './errors.js';

/** Reads 8-byte page-table entries at physical addresses. */
export type EntryReader = (pa: bigint) => Promise<bigint>;

const PRESENT = 1n, PAGE_SIZE_BIT = 1n << 7n;
/** Bits 51:12 of an entry: the next table or the frame (MAXPHYADDR ≤ 52). */
const ADDR_MASK = ((1n << 52n) - 1n) & ~0xfffn;

/** A virtual address with no translation: the walk met a non-present entry. */
export class PageNotPresentError extends RefusedError {
  override readonly name: string = 'PageNotPresentError';
  constructor(readonly va: bigint, readonly dtb: bigint, readonly level: number) {
    super(`0x${va.toString(16)} is not mapped in address space 0x${dtb.toString(16)} (no level-${level} entry)`);
  }
}

/** Canonical 48-bit: bits 63:47 equal. */
export function canonical(va: bigint): boolean {
  const top = BigInt.asUintN(64, va) >> 47n;
  return top === 0n || top === (1n << 17n) - 1n;
}

/** The physical address of `va` in the address space rooted at `dtb` (CR3). */
export async function walk(readEntry: EntryReader, dtb: bigint, va: bigint): Promise<bigint> {
  if (!canonical(va)) throw new RefusedError(`0x${va.toString(16)} is not a canonical address`);
  const u = BigInt.asUintN(64, va);
  let table = dtb & ADDR_MASK;
  for (let level = 4; level >= 1; level--) {
    const shift = 12n + 9n * BigInt(level - 1);
    const entry = await readEntry(table + ((u >> shift) & 511n) * 8n);
    if ((entry & PRESENT) === 0n) throw new PageNotPresentError(va, dtb, level);
    const large = level <= 3 && level >= 2 && (entry & PAGE_SIZE_BIT) !== 0n;
    if (level === 1 || large) {
      const size = 1n << shift;
      return (entry & ADDR_MASK & ~(size - 1n)) | (u & (size - 1n));
    }
    table = entry & ADDR_MASK;
  }
  throw new Error('unreachable: level 1 always ends the walk');
}
