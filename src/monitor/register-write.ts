/**
 * Register writes a client may make: in a reply (Xen's VM_EVENT_FLAG_SET_REGISTERS) or
 * through control.set-registers. Only the registers given are written, and either all
 * of them are or none: general registers, RIP, RFLAGS and CR2 go straight in; control,
 * debug, segment and descriptor-table registers, EFER and the FS/GS bases are loaded as
 * a VM entry would load them and held to its consistency checks (guest-state.ts).
 */
import { GuestStateError, loadSystemState, type SegmentState, type SystemState } from '../hypervisor/vcpu/guest-state.js';
import type { Vcpu } from '../hypervisor/vcpu/vcpu.js';
import type { RegisterUpdate, Segment } from '../generated/tsvmi/v1/registers.js';
import { MonitorError, MonitorErrorCode } from './errors.js';

export interface RegisterWrite {
  /** By encoding number: 0 = RAX, 1 = RCX, ... 15 = R15. */
  gpr?: Record<number, bigint>;
  rip?: bigint;
  rflags?: bigint;
  cr2?: bigint;
  /** Everything else, in the hypervisor's terms. */
  system?: SystemState;
}

/** General registers in encoding order, as the wire names them. */
export const GPR_NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
/** Segment registers in Seg order (ES CS SS DS FS GS), as the wire names them. */
export const SEGMENT_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;

const invalid = (message: string): never => { throw new MonitorError(MonitorErrorCode.INVALID_ARGUMENT, message); };

/**
 * Segment attributes between the CPU's VMX access-rights layout (AVL L D/B G in bits
 * 12-15) and the wire's SVM layout (the same four in bits 8-11), as Xen's `ar`.
 */
export const attributesToWire = (vmx: number): number => (vmx & 0xff) | ((vmx >> 4) & 0xf00);
const attributesFromWire = (svm: number): number => (svm & ~0xfff ? invalid(`segment attributes 0x${svm.toString(16)} have bits above 11`) : (svm & 0xff) | ((svm & 0xf00) << 4));

/** A 48-bit canonical address (bits 63:47 all equal), given as a uint64 or an int64. */
export function isCanonical(v: bigint): boolean {
  const la = BigInt.asIntN(64, v);
  return la >= -(1n << 47n) && la < 1n << 47n;
}

/** A register whose bits 63:32 are reserved. */
const low32 = (name: string, v: bigint): number => (BigInt.asUintN(64, v) >> 32n ? invalid(`${name} 0x${v.toString(16)} sets reserved bits 63:32`) : Number(v));
/** An address as the CPU keeps it: canonical, in signed form. */
const address = (name: string, v: bigint): number => (isCanonical(v) ? Number(BigInt.asIntN(64, v)) : invalid(`${name} 0x${v.toString(16)} is not canonical`));
const segment = (name: string, s: Segment): SegmentState =>
  ({ selector: s.selector, base: address(`${name} base`, s.base), limit: s.limit, attributes: attributesFromWire(s.attributes) });

/** The wire's partial update as a RegisterWrite, every value converted (or refused) before anything is written. */
export function fromUpdate(u: RegisterUpdate): RegisterWrite {
  const gpr: Record<number, bigint> = {};
  GPR_NAMES.forEach((n, i) => { if (u[n] !== undefined) gpr[i] = u[n]; });
  const system: SystemState = {
    ...(u.cr0 !== undefined ? { cr0: low32('CR0', u.cr0) } : {}),
    ...(u.cr3 !== undefined ? { cr3: u.cr3 >> 52n ? invalid('CR3 is beyond any physical address') : Number(u.cr3) } : {}),
    ...(u.cr4 !== undefined ? { cr4: low32('CR4', u.cr4) } : {}),
    ...(u.efer !== undefined ? { efer: low32('EFER', u.efer) } : {}),
    ...(u.dr6 !== undefined ? { dr6: low32('DR6', u.dr6) } : {}),
    ...(u.dr7 !== undefined ? { dr7: low32('DR7', u.dr7) } : {}),
    ...(u.fsBase !== undefined ? { fsBase: address('FS base', u.fsBase) } : {}),
    ...(u.gsBase !== undefined ? { gsBase: address('GS base', u.gsBase) } : {}),
    ...(u.kernelGsBase !== undefined ? { kernelGsBase: address('KERNEL_GS_BASE', u.kernelGsBase) } : {}),
    ...(u.gdtr ? { gdtr: { base: address('GDTR base', u.gdtr.base), limit: u.gdtr.limit } } : {}),
    ...(u.idtr ? { idtr: { base: address('IDTR base', u.idtr.base), limit: u.idtr.limit } } : {}),
  };
  const drs = new Map<number, number>();
  ([u.dr0, u.dr1, u.dr2, u.dr3] as const).forEach((v, n) => { if (v !== undefined) drs.set(n, Number(BigInt.asIntN(64, v))); });
  if (drs.size) system.dr0to3 = drs;
  const segments = new Map<number, SegmentState>();
  SEGMENT_NAMES.forEach((n, i) => { const s = u[n]; if (s) segments.set(i, segment(n.toUpperCase(), s)); });
  if (segments.size) system.segments = segments;
  return {
    gpr,
    ...(u.rip !== undefined ? { rip: u.rip } : {}),
    ...(u.rflags !== undefined ? { rflags: u.rflags } : {}),
    ...(u.cr2 !== undefined ? { cr2: u.cr2 } : {}),
    ...(Object.keys(system).length ? { system } : {}),
  };
}

/** Refuse values no vCPU could hold, before anything is written. */
export function checkRegisters(regs: RegisterWrite): void {
  if (regs.rip !== undefined && !isCanonical(regs.rip)) invalid(`RIP 0x${regs.rip.toString(16)} is not canonical`);
  if (regs.rflags !== undefined && regs.rflags >> 32n !== 0n) invalid(`RFLAGS 0x${regs.rflags.toString(16)} has bits above 31 set`);
}

export function writeRegisters(v: Vcpu, regs: RegisterWrite): void {
  checkRegisters(regs);
  const c = v.cpu;
  if (regs.system) {
    try {
      loadSystemState(c, regs.system); // all or nothing, and first: it is the part that can still refuse
    } catch (e) {
      if (e instanceof GuestStateError) invalid(`the vCPU would not enter with that state: ${e.message}`);
      throw e;
    }
  }
  for (const [r, value] of Object.entries(regs.gpr ?? {})) {
    const u = BigInt.asUintN(64, value);
    c.lo[Number(r)] = Number(u & 0xffffffffn) | 0;
    c.hi[Number(r)] = Number(u >> 32n) | 0;
  }
  if (regs.rip !== undefined) c.rip = Number(BigInt.asIntN(64, regs.rip));
  if (regs.rflags !== undefined) c.setRflags(Number(regs.rflags));
  if (regs.cr2 !== undefined) c.cr2 = Number(BigInt.asUintN(64, regs.cr2));
}
