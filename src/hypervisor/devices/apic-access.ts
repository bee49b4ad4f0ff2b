/**
 * How the two interfaces of a local APIC reach its registers: the xAPIC page
 * (SDM Vol. 3A §10.4.1, table 10-1) and the x2APIC MSRs (§10.12.1.2, table
 * 10-6), which registers each one has, and the #GP rules of x2APIC mode and
 * of IA32_APIC_BASE. The register semantics live in LocalApic; this file is
 * only the access checks.
 */
import { ApicBase, ApicReg, Esr, IA32_APIC_BASE, LVT_OFFSETS, X2APIC_MSR_FIRST } from './apic-regs.js';
import { ApicMsrError } from './errors.js';

/** What the access paths need from a local APIC. */
export interface ApicRegisterFile {
  /** The register at xAPIC `offset`, as the current mode shows it. */
  readRegister(offset: number): number;
  /** Write with the register's side effects (EOI, ICR send, timer load, ...). */
  writeRegister(offset: number, value: number): void;
  /** Record an ESR error bit (and raise the LVT error interrupt). */
  recordError(esrBit: number): void;
}

export type RegAccess = 'r' | 'w' | 'rw';

/** Access to the register at xAPIC `offset` in one mode, or undefined where it does not exist. */
export function registerAccess(offset: number, x2apic: boolean): RegAccess | undefined {
  if (offset >= ApicReg.ISR && offset < ApicReg.ESR) return 'r'; // ISR, TMR, IRR
  if ((LVT_OFFSETS as readonly number[]).includes(offset)) return 'rw';
  switch (offset) {
    case ApicReg.TPR: case ApicReg.SVR: case ApicReg.ESR: case ApicReg.ICR_LO:
    case ApicReg.TIMER_INITIAL: case ApicReg.TIMER_DIVIDE:
      return 'rw';
    // The xAPIC ID is writable on some models (table 10-1); here it is fixed, as IPI routing assumes.
    case ApicReg.ID: case ApicReg.VERSION: case ApicReg.PPR: case ApicReg.TIMER_CURRENT: return 'r';
    case ApicReg.EOI: return 'w';
    // x2APIC: the logical ID is derived from the APIC ID; DFR, ICR high (now in the
    // 64-bit ICR), APR and remote read are gone; SELF IPI is new.
    case ApicReg.LDR: return x2apic ? 'r' : 'rw';
    case ApicReg.DFR: case ApicReg.ICR_HI: return x2apic ? undefined : 'rw';
    case ApicReg.APR: case ApicReg.RRD: return x2apic ? undefined : 'r';
    case ApicReg.SELF_IPI: return x2apic ? 'w' : undefined;
    default: return undefined;
  }
}

/**
 * xAPIC MMIO read. Registers are 32 bits at 16-byte-aligned offsets; narrower
 * reads inside one return its bytes, other bytes of the 16 read 0. Absent
 * registers read 0 and set ESR "illegal register address" (§10.5.3).
 */
export function xapicRead(r: ApicRegisterFile, offset: number, size: number): number {
  const off = offset & 0xff0, at = offset & 0xf;
  if (at >= 4) return 0;
  const access = registerAccess(off, false);
  if (access === undefined) { r.recordError(Esr.ILLEGAL_REGISTER); return 0; }
  if (access === 'w') return 0;
  const v = r.readRegister(off) >>> (at * 8);
  return size >= 4 ? v >>> 0 : v & (size === 2 ? 0xffff : 0xff);
}

/** xAPIC MMIO write: only aligned 32-bit writes count; read-only registers ignore them. */
export function xapicWrite(r: ApicRegisterFile, offset: number, size: number, value: number): void {
  if ((offset & 0xf) !== 0 || size < 4) return;
  const off = offset & 0xff0;
  const access = registerAccess(off, false);
  if (access === undefined) r.recordError(Esr.ILLEGAL_REGISTER);
  else if (access !== 'r') r.writeRegister(off, value >>> 0);
}

/** RDMSR of an x2APIC register (MSR 0x800 + offset / 16); throws ApicMsrError for #GP. */
export function x2apicRead(r: ApicRegisterFile, msr: number): [lo: number, hi: number] {
  const off = (msr - X2APIC_MSR_FIRST) << 4;
  const access = registerAccess(off, true);
  if (access === undefined || access === 'w') throw new ApicMsrError(msr, false, 'no readable x2APIC register');
  if (off === ApicReg.ICR_LO) return [r.readRegister(ApicReg.ICR_LO) >>> 0, r.readRegister(ApicReg.ICR_HI) >>> 0];
  return [r.readRegister(off) >>> 0, 0];
}

/** WRMSR of an x2APIC register; throws ApicMsrError for #GP (§10.12.1.2, §10.12.1.3). */
export function x2apicWrite(r: ApicRegisterFile, msr: number, lo: number, hi: number): void {
  const off = (msr - X2APIC_MSR_FIRST) << 4;
  const fail = (why: string): never => { throw new ApicMsrError(msr, true, why); };
  const access = registerAccess(off, true);
  if (access === undefined) fail('no x2APIC register');
  if (access === 'r') fail('read-only register');
  if (off === ApicReg.ICR_LO) {
    // One 64-bit write: destination in bits 63:32, and the IPI goes out (§10.12.9).
    r.writeRegister(ApicReg.ICR_HI, hi >>> 0);
    r.writeRegister(ApicReg.ICR_LO, lo >>> 0);
    return;
  }
  if (hi !== 0) fail('reserved bits 63:32 set');
  if ((off === ApicReg.EOI || off === ApicReg.ESR) && lo !== 0) fail('non-zero write');
  if (off === ApicReg.SELF_IPI && (lo & ~0xff) !== 0) fail('reserved bits set');
  r.writeRegister(off, lo >>> 0);
}

/** Physical-address width for IA32_APIC_BASE reserved bits; matches CPUID 0x80000008 (mmu/paging-bits MAXPHYADDR). */
const MAXPHYADDR = 40;

/**
 * IA32_APIC_BASE write rules (SDM §10.12.5, figure 10-27): reserved bits 7:0,
 * 9 and MAXPHYADDR and up; EXTD without EN is invalid; x2APIC cannot go to
 * xAPIC, nor disabled to x2APIC, directly. Throws ApicMsrError for #GP.
 */
export function checkApicBaseWrite(current: number, value: number): void {
  const fail = (why: string): never => { throw new ApicMsrError(IA32_APIC_BASE, true, why); };
  const lo = value >>> 0, hi = Math.floor(value / 2 ** 32);
  if (!Number.isInteger(value) || value < 0 || (lo & 0x2ff) !== 0 || hi >>> (MAXPHYADDR - 32) !== 0) fail('reserved bits set');
  const mode = (v: number): 'off' | 'xapic' | 'x2apic' =>
    !(v & ApicBase.EN) ? 'off' : v & ApicBase.EXTD ? 'x2apic' : 'xapic';
  if (lo & ApicBase.EXTD && !(lo & ApicBase.EN)) fail('x2APIC enabled with the APIC disabled is an invalid state');
  const from = mode(current >>> 0), to = mode(lo);
  if (from === 'x2apic' && to === 'xapic') fail('x2APIC to xAPIC without going through disabled');
  if (from === 'off' && to === 'x2apic') fail('disabled to x2APIC without going through xAPIC');
}
