/** General-purpose register numbers in ModRM/REX encoding order (SDM Vol. 2A §2.1.5). */
export const Reg = {
  RAX: 0, RCX: 1, RDX: 2, RBX: 3, RSP: 4, RBP: 5, RSI: 6, RDI: 7,
  R8: 8, R9: 9, R10: 10, R11: 11, R12: 12, R13: 13, R14: 14, R15: 15,
} as const;
export type Reg = (typeof Reg)[keyof typeof Reg];

export const REG_NAMES = [
  'rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15',
] as const;

/** Segment registers in encoding order (SDM Vol. 2A §3.4.2 "Sreg"). */
export const Seg = { ES: 0, CS: 1, SS: 2, DS: 3, FS: 4, GS: 5 } as const;
export type Seg = (typeof Seg)[keyof typeof Seg];

/** RFLAGS bits (SDM Vol. 1 §3.4.3). */
export const Flag = {
  CF: 1 << 0, PF: 1 << 2, AF: 1 << 4, ZF: 1 << 6, SF: 1 << 7, TF: 1 << 8,
  IF: 1 << 9, DF: 1 << 10, OF: 1 << 11, IOPL: 3 << 12, NT: 1 << 14, RF: 1 << 16,
  VM: 1 << 17, AC: 1 << 18, VIF: 1 << 19, VIP: 1 << 20, ID: 1 << 21,
} as const;

/** The six status flags, the ones the lazy-flag machinery owns. */
export const ARITH_FLAGS = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF;
/** Bit 1 of RFLAGS always reads as 1. */
export const RFLAGS_FIXED = 0x2;

export const TWO32 = 4294967296;

/** Combine two 32-bit halves into a JS number; exact while |value| < 2^53. */
export const join = (lo: number, hi: number): number => hi * TWO32 + (lo >>> 0);

/** Control-register and EFER bits (SDM Vol. 3A §2.5, §2.2.1). */
export const Cr0 = { PE: 1, MP: 2, EM: 4, TS: 8, ET: 16, NE: 32, WP: 1 << 16, AM: 1 << 18, NW: 1 << 29, CD: 1 << 30, PG: 1 << 31 } as const;
export const Cr4 = { VME: 1, PVI: 2, TSD: 4, DE: 8, PSE: 16, PAE: 32, MCE: 64, PGE: 128, OSFXSR: 512 } as const;
export const Efer = { SCE: 1, LME: 1 << 8, LMA: 1 << 10, NXE: 1 << 11 } as const;
