/** Page-table entry bits and page-fault error-code bits (SDM Vol. 3A §4.5, §4.7). */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
export const PAGE_MASK = 0xfff;

export const Pte = {
  P: 1 << 0, RW: 1 << 1, US: 1 << 2, PWT: 1 << 3, PCD: 1 << 4, A: 1 << 5, D: 1 << 6, PS: 1 << 7, G: 1 << 8,
  /** XD lives in bit 63, i.e. bit 31 of the high half. */
  XD_HI: 1 << 31,
} as const;

/** #PF error code bits (SDM Vol. 3A §4.7, figure 4-12). */
export const PfErr = { P: 1, W: 2, U: 4, RSVD: 8, I: 16 } as const;

/** Access kinds for translation and permission checks. */
export const Access = { READ: 0, WRITE: 1, EXEC: 2 } as const;
export type Access = (typeof Access)[keyof typeof Access];

/**
 * TLB permission bits: one per (privilege, access) pair, so an entry does not
 * depend on the CPL it was filled at. Write bits are only granted once the
 * entry's dirty bit is set, so the first write takes the slow path and sets D.
 */
export const Perm = { SR: 1, SW: 2, SX: 4, UR: 8, UW: 16, UX: 32, LARGE: 64 } as const;

/** Physical address width we report in CPUID 0x80000008 and enforce in PTEs. */
export const MAXPHYADDR = 40;
