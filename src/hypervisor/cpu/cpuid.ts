/**
 * CPUID leaves. A feature bit is set only when tsvmi implements the feature;
 * the set grows with the emulator. Unknown leaves return zeros, as AMD CPUs do.
 *
 * Implemented but deliberately not advertised: TZCNT (F3 0F BC). It belongs to
 * BMI1, whose VEX-encoded members (ANDN, BEXTR, BLS*) are not implemented, so
 * BMI1 stays clear; gcc's `rep bsf` for __builtin_ctz is correct either way.
 */
import { MAXPHYADDR } from '../mmu/paging-bits.js';

export type Vendor = 'intel' | 'amd';

/** Four registers of one CPUID answer. */
export type CpuidResult = [eax: number, ebx: number, ecx: number, edx: number];

const str4 = (s: string, at: number): number =>
  s.charCodeAt(at) | (s.charCodeAt(at + 1) << 8) | (s.charCodeAt(at + 2) << 16) | (s.charCodeAt(at + 3) << 24);

const VENDOR_IDS: Record<Vendor, string> = { intel: 'GenuineIntel', amd: 'AuthenticAMD' };
/** The hypervisor signature in leaf 0x40000000 (EBX, ECX, EDX), like Xen's "XenVMMXenVMM". */
export const HYPERVISOR_SIGNATURE = 'tsvmiTSVMItv';
const BRAND = 'tsvmi virtual x86-64 CPU'.padEnd(48, '\0');

const bit = (n: number): number => (1 << n) >>> 0;

/**
 * Leaf 1 EDX: DE (I/O breakpoints), PSE, TSC, MSR, PAE, CX8, PGE, CMOV, CLFSH. (PGE: CR4.PGE is
 * accepted; global translations are flushed with the rest, which the TLB
 * rules allow.)
 */
const L1_EDX = bit(2) | bit(3) | bit(4) | bit(5) | bit(6) | bit(8) | bit(13) | bit(15) | bit(19);
/** Leaf 1 ECX: CX16, POPCNT, hypervisor present. */
const L1_ECX = bit(13) | bit(23) | bit(31);
/** Leaf 0x80000001 ECX: LAHF/SAHF in 64-bit mode, LZCNT (ABM). */
const X1_ECX = bit(0) | bit(5);
/** Leaf 0x80000001 EDX: SYSCALL, NX, 1 GiB pages, RDTSCP, long mode. */
const X1_EDX = bit(11) | bit(20) | bit(26) | bit(27) | bit(29);

export interface CpuidContext {
  vendor: Vendor;
  apicPresent: boolean;
  apicId: number;
  vcpuCount: number;
}

export function cpuid(ctx: CpuidContext, leaf: number, _subleaf: number): CpuidResult {
  const v = VENDOR_IDS[ctx.vendor];
  switch (leaf >>> 0) {
    case 0: return [7, str4(v, 0), str4(v, 8), str4(v, 4)];
    // Family 6, model 0x3a style signature: family 6 is what generic x86-64 software expects.
    case 1: {
      // APIC (EDX bit 9) and x2APIC (ECX bit 21) only when the platform attached one; no TSC-deadline (bit 24).
      const apic = ctx.apicPresent ? { ecx: bit(21), edx: bit(9) } : { ecx: 0, edx: 0 };
      return [0x000306a9, (ctx.apicId << 24) | (Math.min(ctx.vcpuCount, 255) << 16) | (8 << 8), (L1_ECX | apic.ecx) | 0, (L1_EDX | apic.edx) | 0];
    }
    case 7: return [0, 0, 0, 0];
    case 0x40000000: {
      const s = HYPERVISOR_SIGNATURE;
      return [0x40000000, str4(s, 0), str4(s, 4), str4(s, 8)];
    }
    case 0x80000000: return [0x80000008 | 0, 0, 0, 0];
    case 0x80000001: return [0, 0, X1_ECX, X1_EDX | 0];
    case 0x80000002: case 0x80000003: case 0x80000004: {
      const at = ((leaf >>> 0) - 0x80000002) * 16;
      return [str4(BRAND, at), str4(BRAND, at + 4), str4(BRAND, at + 8), str4(BRAND, at + 12)];
    }
    case 0x80000008: return [MAXPHYADDR | (48 << 8), 0, 0, 0];
    default: return [0, 0, 0, 0];
  }
}
