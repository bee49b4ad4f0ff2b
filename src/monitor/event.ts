/**
 * A monitor event: what a vCPU's VM exit looks like to introspection clients,
 * in the shape of Xen's vm_event_request_t (xen/include/public/vm_event.h):
 * a per-domain sequence number, the vCPU, flags, a register snapshot, and the
 * reason with its data. Transports encode it (proto/tsvmi/v1).
 */
import type { Cpu } from '../hypervisor/cpu/cpu.js';
import { ExitReason, type VmExit } from '../hypervisor/vcpu/exit.js';

/** Event reasons clients enable, named like Xen's VM_EVENT_REASON_*. */
export const Reason = {
  SOFTWARE_BREAKPOINT: 'software-breakpoint',
  SINGLESTEP: 'singlestep',
  DEBUG_EXCEPTION: 'debug-exception',
  GUEST_REQUEST: 'guest-request',
  CPUID: 'cpuid',
  WRITE_CTRLREG: 'write-ctrlreg',
  MOV_TO_MSR: 'mov-to-msr',
  IO_INSTRUCTION: 'io-instruction',
  DESCRIPTOR_ACCESS: 'descriptor-access',
  /** An access the page permissions forbid (control.set-page-permissions). */
  MEM_ACCESS: 'mem-access',
  /** An interrupt, NMI or exception delivered to the guest (Xen's VM_EVENT_REASON_INTERRUPT). */
  INTERRUPT: 'interrupt',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

const BY_EXIT: Partial<Record<ExitReason, Reason>> = {
  [ExitReason.BREAKPOINT]: Reason.SOFTWARE_BREAKPOINT,
  [ExitReason.SINGLESTEP]: Reason.SINGLESTEP,
  [ExitReason.DEBUG]: Reason.DEBUG_EXCEPTION,
  [ExitReason.GUEST_REQUEST]: Reason.GUEST_REQUEST,
  [ExitReason.CPUID]: Reason.CPUID,
  [ExitReason.CR_WRITE]: Reason.WRITE_CTRLREG,
  [ExitReason.MSR_WRITE]: Reason.MOV_TO_MSR,
  [ExitReason.IO]: Reason.IO_INSTRUCTION,
  [ExitReason.DESCRIPTOR]: Reason.DESCRIPTOR_ACCESS,
  [ExitReason.MEM_ACCESS]: Reason.MEM_ACCESS,
  [ExitReason.INTERRUPT]: Reason.INTERRUPT,
};

export const reasonOfExit = (exit: VmExit): Reason | undefined => BY_EXIT[exit.reason];

/**
 * Event flags as on the wire (proto EventFlag): VCPU_PAUSED is Xen's VM_EVENT_FLAG_VCPU_PAUSED
 * (a sync event: the vCPU waits for the reply); REDELIVERED marks an event handed to a
 * controller again because the previous one left without answering it.
 */
export const EventFlag = { VCPU_PAUSED: 1, EMULATED: 2, REDELIVERED: 4 } as const;

export interface Registers {
  /** RAX..R15 in encoding order, as 64-bit values. */
  gpr: bigint[];
  rip: bigint;
  rflags: bigint;
  cr0: bigint; cr2: bigint; cr3: bigint; cr4: bigint;
  /** DR0-DR3, DR6, DR7 by number (4 and 5 are unused). */
  dr: bigint[];
  efer: bigint;
  fsBase: bigint; gsBase: bigint; kernelGsBase: bigint;
  /** Selector, base, limit and VMX-style attributes of ES CS SS DS FS GS. */
  segments: { selector: number; base: bigint; limit: number; attributes: number }[];
  gdtr: { base: bigint; limit: number };
  idtr: { base: bigint; limit: number };
}

export interface MonitorEvent {
  domain: string;
  vcpu: number;
  seq: bigint;
  flags: number;
  reason: Reason;
  /** Guest time (the vCPU's retired instructions) and host time (Unix nanoseconds) of the event. */
  guestTime: bigint;
  hostTime: bigint;
  regs: Registers;
  /** The exit behind it (instruction length, exception, CR/MSR/I/O/CPUID data). */
  exit: VmExit;
  /** For CR and MSR writes: the register's value before the write. */
  oldValue?: bigint;
  /**
   * For breakpoint, single-step and debug events: the guest frame RIP is in (Xen's gfn,
   * a physical frame), or INVALID_GFN when RIP is not mapped.
   */
  codeGfn?: bigint;
}

/** Xen's INVALID_GFN: no frame (the address did not translate). */
export const INVALID_GFN = 0xffff_ffff_ffff_ffffn;

/** A register held as a JS number, as the wire's uint64. */
export const u64 = (v: number): bigint => (v >= 0 && v <= 0xffffffff ? BigInt(v >>> 0) : BigInt.asUintN(64, BigInt(Math.trunc(v))));

/** Two 32-bit halves as one uint64 (most values have a zero high half: one BigInt then). */
const halves = (lo: number, hi: number): bigint => (hi === 0 ? BigInt(lo >>> 0) : (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));

/**
 * A register snapshot. It is taken once per event, so it is written as plain loops and
 * literals (no spreads or callbacks): BigInt conversions are most of an event's cost.
 */
export function snapshot(c: Cpu): Registers {
  const gpr: bigint[] = new Array<bigint>(16);
  for (let r = 0; r < 16; r++) gpr[r] = halves(c.lo[r]!, c.hi[r]!);
  const dr: bigint[] = new Array<bigint>(8);
  for (let n = 0; n < 8; n++) dr[n] = u64(c.dr[n]!);
  const segments: Registers['segments'] = new Array(6);
  for (let s = 0; s < 6; s++) segments[s] = { selector: c.segSel[s]!, base: u64(c.segBase[s]!), limit: c.segLimit[s]!, attributes: c.segAttr[s]! };
  return {
    gpr, rip: u64(c.rip), rflags: BigInt(c.getRflags() >>> 0),
    cr0: u64(c.cr0), cr2: u64(c.cr2), cr3: u64(c.cr3), cr4: u64(c.cr4),
    dr, efer: u64(c.efer),
    fsBase: u64(c.segBase[4]!), gsBase: u64(c.segBase[5]!), kernelGsBase: u64(c.kernelGsBase),
    segments,
    gdtr: { base: u64(c.gdtBase), limit: c.gdtLimit },
    idtr: { base: u64(c.idtBase), limit: c.idtLimit },
  };
}
