/** Local APIC register layout and bit fields (SDM Vol. 3A chapter 10). */

/** xAPIC register offsets in the 4 KiB APIC page (SDM Vol. 3A table 10-1). */
export const ApicReg = {
  ID: 0x020, VERSION: 0x030, TPR: 0x080, APR: 0x090, PPR: 0x0a0, EOI: 0x0b0, RRD: 0x0c0,
  LDR: 0x0d0, DFR: 0x0e0, SVR: 0x0f0,
  ISR: 0x100, TMR: 0x180, IRR: 0x200, ESR: 0x280, LVT_CMCI: 0x2f0,
  ICR_LO: 0x300, ICR_HI: 0x310,
  LVT_TIMER: 0x320, LVT_THERMAL: 0x330, LVT_PERF: 0x340, LVT_LINT0: 0x350, LVT_LINT1: 0x360, LVT_ERROR: 0x370,
  TIMER_INITIAL: 0x380, TIMER_CURRENT: 0x390, TIMER_DIVIDE: 0x3e0,
  /** x2APIC only (MSR 0x83F). */
  SELF_IPI: 0x3f0,
} as const;

/** The physical address of the APIC page after reset (SDM Vol. 3A §10.4.4). */
export const APIC_DEFAULT_BASE = 0xfee00000;
export const IA32_APIC_BASE = 0x1b;
/** x2APIC registers are MSRs 0x800 + (xAPIC offset >> 4) (SDM Vol. 3A §10.12.1.2, table 10-6). */
export const X2APIC_MSR_FIRST = 0x800;
export const X2APIC_MSR_LAST = 0x8ff;
export const isApicMsr = (msr: number): boolean =>
  msr === IA32_APIC_BASE || (msr >= X2APIC_MSR_FIRST && msr <= X2APIC_MSR_LAST);

/** IA32_APIC_BASE bits (SDM Vol. 3A §10.4.4, figure 10-5; §10.12.1 for EXTD). */
export const ApicBase = { BSP: 1 << 8, EXTD: 1 << 10, EN: 1 << 11 } as const;

/** Number of LVT entries minus one: timer, thermal, performance, LINT0, LINT1, error (no CMCI). */
export const MAX_LVT = 5;
/** Version register: an integrated APIC (0x14), no EOI-broadcast suppression (bit 24 clear). */
export const APIC_VERSION = 0x14 | (MAX_LVT << 16);

/** LVT fields (SDM Vol. 3A §10.5.1, figure 10-8). */
export const Lvt = {
  MASKED: 1 << 16,
  /** Timer mode bits 18:17 = 01. Bit 18 (TSC-deadline) is reserved here: CPUID.01H:ECX[24] is clear. */
  PERIODIC: 1 << 17,
  REMOTE_IRR: 1 << 14,
  TRIGGER_LEVEL: 1 << 15,
} as const;
export const lvtMode = (lvt: number): number => (lvt >>> 8) & 7;

/** Writable bits per LVT register; delivery status (bit 12) and remote IRR (bit 14) are read-only. */
export const LVT_WRITABLE: Readonly<Record<number, number>> = {
  [ApicReg.LVT_TIMER]: 0x300ff,
  [ApicReg.LVT_THERMAL]: 0x107ff,
  [ApicReg.LVT_PERF]: 0x107ff,
  [ApicReg.LVT_LINT0]: 0x1a7ff,
  [ApicReg.LVT_LINT1]: 0x1a7ff,
  [ApicReg.LVT_ERROR]: 0x100ff,
};
/** LVT registers in table order; `LvtIndex` names the positions. */
export const LVT_OFFSETS = [
  ApicReg.LVT_TIMER, ApicReg.LVT_THERMAL, ApicReg.LVT_PERF, ApicReg.LVT_LINT0, ApicReg.LVT_LINT1, ApicReg.LVT_ERROR,
] as const;
export const LvtIndex = { TIMER: 0, THERMAL: 1, PERF: 2, LINT0: 3, LINT1: 4, ERROR: 5 } as const;

/** Spurious-interrupt vector register: bit 8 is the software enable (SDM Vol. 3A §10.9). */
export const Svr = { ENABLE: 1 << 8, WRITABLE: 0x3ff, RESET: 0xff } as const;

/** Error status bits (SDM Vol. 3A §10.5.3, figure 10-9). */
export const Esr = { SEND_ILLEGAL_VECTOR: 1 << 5, RECEIVE_ILLEGAL_VECTOR: 1 << 6, ILLEGAL_REGISTER: 1 << 7 } as const;

/** ICR low bits software can write (vector, mode, dest mode, level, trigger, shorthand); bit 12 reads 0. */
export const ICR_LOW_WRITABLE = 0x000ccfff;
