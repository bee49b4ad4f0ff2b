/**
 * Register writes a client may make: in a reply (Xen's VM_EVENT_FLAG_SET_REGISTERS) or
 * through control.set-registers. Only the registers given are written. Control, debug
 * and segment registers are left out for now: writing them safely means re-deriving the
 * paging mode, the debug state and the code segment's mode, which is not wired yet.
 */
import type { Vcpu } from '../hypervisor/vcpu/vcpu.js';
import type { RegisterUpdate } from '../generated/tsvmi/v1/registers.js';
import { MonitorError, MonitorErrorCode } from './errors.js';

export interface RegisterWrite {
  /** By encoding number: 0 = RAX, 1 = RCX, ... 15 = R15. */
  gpr?: Record<number, bigint>;
  rip?: bigint;
  rflags?: bigint;
  cr2?: bigint;
}

/** General registers in encoding order, as the wire names them. */
export const GPR_NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
const WRITABLE = new Set<string>([...GPR_NAMES, 'rip', 'rflags', 'cr2']);

/** The wire's partial update as a RegisterWrite; anything not writable yet is refused by name. */
export function fromUpdate(u: RegisterUpdate): RegisterWrite {
  const other = Object.entries(u).filter(([k, v]) => v !== undefined && !WRITABLE.has(k)).map(([k]) => k);
  if (other.length) throw new MonitorError(MonitorErrorCode.UNSUPPORTED, `only general registers, RIP, RFLAGS and CR2 can be written, not ${other.join(', ')}`);
  const gpr: Record<number, bigint> = {};
  GPR_NAMES.forEach((n, i) => { if (u[n] !== undefined) gpr[i] = u[n]; });
  return {
    gpr,
    ...(u.rip !== undefined ? { rip: u.rip } : {}),
    ...(u.rflags !== undefined ? { rflags: u.rflags } : {}),
    ...(u.cr2 !== undefined ? { cr2: u.cr2 } : {}),
  };
}

/** A 48-bit canonical address (bits 63:47 all equal), given as a uint64 or an int64. */
export function isCanonical(v: bigint): boolean {
  const la = BigInt.asIntN(64, v);
  return la >= -(1n << 47n) && la < 1n << 47n;
}

/** Refuse values no vCPU could hold, before anything is written. */
export function checkRegisters(regs: RegisterWrite): void {
  if (regs.rip !== undefined && !isCanonical(regs.rip)) throw new MonitorError(MonitorErrorCode.INVALID_ARGUMENT, `RIP 0x${regs.rip.toString(16)} is not canonical`);
  if (regs.rflags !== undefined && regs.rflags >> 32n !== 0n) throw new MonitorError(MonitorErrorCode.INVALID_ARGUMENT, `RFLAGS 0x${regs.rflags.toString(16)} has bits above 31 set`);
}

export function writeRegisters(v: Vcpu, regs: RegisterWrite): void {
  checkRegisters(regs);
  const c = v.cpu;
  for (const [r, value] of Object.entries(regs.gpr ?? {})) {
    const u = BigInt.asUintN(64, value);
    c.lo[Number(r)] = Number(u & 0xffffffffn) | 0;
    c.hi[Number(r)] = Number(u >> 32n) | 0;
  }
  if (regs.rip !== undefined) c.rip = Number(BigInt.asIntN(64, regs.rip));
  if (regs.rflags !== undefined) c.setRflags(Number(regs.rflags));
  if (regs.cr2 !== undefined) c.cr2 = Number(BigInt.asUintN(64, regs.cr2));
}
