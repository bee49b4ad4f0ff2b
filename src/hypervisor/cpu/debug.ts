/**
 * The debug architecture as the guest sees it (SDM Vol. 3B chapter 17):
 * DR0-DR3 breakpoints enabled and typed by DR7, status reported in DR6, and
 * single-stepping through RFLAGS.TF. Instruction breakpoints are faults
 * checked before an instruction, unless RF is set; data breakpoints and the
 * single step are traps reported after it (§17.3.1).
 */
import type { Cpu } from './cpu.js';

/** DR6 bits (§17.2.3). B0-B3 are rewritten by each #DB; BD, BS and BT are sticky. */
export const Dr6 = { B0: 1, BD: 1 << 13, BS: 1 << 14, BT: 1 << 15, RESERVED_ONES: 0xffff0ff0 } as const;
/** DR7 R/Wn encodings (§17.2.4, table 17-1 "R/Wn" field). */
export const DrType = { EXEC: 0, WRITE: 1, IO: 2, RW: 3 } as const;

const enabled = (dr7: number, n: number): boolean => ((dr7 >> (n * 2)) & 3) !== 0;
const typeOf = (dr7: number, n: number): number => (dr7 >>> (16 + n * 4)) & 3;
/** LEN 00, 01, 11, 10 mean 1, 2, 4, 8 bytes (§17.2.5). */
const lengthOf = (dr7: number, n: number): number => [1, 2, 8, 4][(dr7 >>> (18 + n * 4)) & 3]!;

/**
 * Anything that needs the careful, one-instruction-at-a-time path: TF, an
 * enabled breakpoint, or an RF that the next completed instruction must clear.
 */
export const debugActive = (c: Cpu): boolean => (c.rflags & 0x10100) !== 0 || (c.dr[7]! & 0xff) !== 0 || c.hostStep;

/** B0-B3 bits of the enabled instruction breakpoints at linear address `la`. */
export function instructionBreakpoints(c: Cpu, la: number): number {
  const dr7 = c.dr[7]!;
  let hits = 0;
  for (let n = 0; n < 4; n++) {
    if (enabled(dr7, n) && typeOf(dr7, n) === DrType.EXEC && c.dr[n] === la) hits |= 1 << n;
  }
  return hits;
}

/**
 * B0-B3 bits of the enabled data breakpoints that an access of `size` bytes at
 * `la` matches. The breakpoint covers its aligned LEN-byte range (§17.2.5).
 */
export function dataBreakpoints(c: Cpu, la: number, size: number, write: boolean): number {
  const dr7 = c.dr[7]!;
  let hits = 0;
  for (let n = 0; n < 4; n++) {
    if (!enabled(dr7, n)) continue;
    const type = typeOf(dr7, n);
    if (type !== DrType.RW && !(type === DrType.WRITE && write)) continue;
    const len = lengthOf(dr7, n);
    const base = c.dr[n]! - (c.dr[n]! % len);
    if (la < base + len && base < la + size) hits |= 1 << n;
  }
  return hits;
}

/**
 * B0-B3 bits of the enabled I/O breakpoints (R/W = 10, only meaningful with
 * CR4.DE) that an access of `size` bytes to `port` matches (§17.2.4, §17.2.5).
 */
export function ioBreakpoints(c: Cpu, port: number, size: number): number {
  if ((c.cr4 & 8 /* CR4.DE */) === 0) return 0;
  const dr7 = c.dr[7]!;
  let hits = 0;
  for (let n = 0; n < 4; n++) {
    if (!enabled(dr7, n) || typeOf(dr7, n) !== DrType.IO) continue;
    const len = lengthOf(dr7, n);
    const base = (c.dr[n]! & 0xffff) - ((c.dr[n]! & 0xffff) % len);
    if (port < base + len && base < port + size) hits |= 1 << n;
  }
  return hits;
}

/** Whether any enabled data breakpoint exists (so the MMU must watch accesses). */
export function hasDataBreakpoints(dr7: number): boolean {
  for (let n = 0; n < 4; n++) {
    const t = typeOf(dr7, n);
    if (enabled(dr7, n) && (t === DrType.WRITE || t === DrType.RW)) return true;
  }
  return false;
}

/** Record a #DB's causes (B0-B3 and BD/BS/BT bits) in DR6: B0-B3 replaced, the others accumulated (§17.2.3). */
export function reportDebug(c: Cpu, bits: number): void {
  c.dr[6] = ((c.dr[6]! & ~0xf) | bits | Dr6.RESERVED_ONES) >>> 0;
}
