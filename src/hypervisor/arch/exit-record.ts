/** The translation of raw intercepts into VmExit records that both personalities share. */
import { Vector } from '../cpu/fault.js';
import { InterceptKind, type InterceptRecord } from '../cpu/intercept.js';
import { Access } from '../mmu/paging-bits.js';
import { ExitReason, type EventKind, type VmExit } from '../vcpu/exit.js';

const REASONS: Partial<Record<string, ExitReason>> = {
  [InterceptKind.MONITOR_TRAP]: ExitReason.SINGLESTEP,
  [InterceptKind.CPUID]: ExitReason.CPUID,
  [InterceptKind.CR_WRITE]: ExitReason.CR_WRITE,
  [InterceptKind.MSR_WRITE]: ExitReason.MSR_WRITE,
  [InterceptKind.IO]: ExitReason.IO,
  [InterceptKind.HLT]: ExitReason.HLT,
  [InterceptKind.VMCALL]: ExitReason.GUEST_REQUEST,
  [InterceptKind.DESCRIPTOR]: ExitReason.DESCRIPTOR,
  [InterceptKind.INTERRUPT_WINDOW]: ExitReason.INTERRUPT_WINDOW,
  [InterceptKind.NMI_WINDOW]: ExitReason.NMI_WINDOW,
  [InterceptKind.MEM_ACCESS]: ExitReason.MEM_ACCESS,
};

/**
 * The exit for a raw intercept, or undefined for the personality-internal ones (PUSHF,
 * POPF, IRET). Built field by field rather than with object spreads: this runs once per
 * exit, and spreads cost more than everything else in it.
 */
export function toVmExit(vcpu: number, r: InterceptRecord): VmExit | undefined {
  let reason: ExitReason | undefined;
  if (r.kind === InterceptKind.EXCEPTION) {
    const v = r.exception!.vector;
    reason = v === Vector.BP ? ExitReason.BREAKPOINT : v === Vector.DB ? ExitReason.DEBUG : ExitReason.EXCEPTION;
  } else {
    reason = r.kind === InterceptKind.DELIVERED ? ExitReason.INTERRUPT : REASONS[r.kind];
    if (reason === undefined) return undefined;
  }
  const exit: VmExit = { reason, vcpu, rip: r.rip, instructionLength: r.length, icount: r.icount };
  const e = r.exception;
  if (e) {
    exit.exception = { vector: e.vector, type: e.type as EventKind };
    if (e.errorCode !== undefined) exit.exception.errorCode = e.errorCode;
    if (e.cr2 !== undefined) exit.exception.cr2 = e.cr2;
    if (e.dr6Bits !== undefined && r.kind === InterceptKind.EXCEPTION) exit.pendingDbg = e.dr6Bits;
  }
  if (r.emulated) exit.emulated = true;
  if (r.cr) exit.cr = r.cr;
  if (r.msr) exit.msr = { index: r.msr.index, value: [r.msr.lo, r.msr.hi] };
  if (r.io) exit.io = r.io;
  if (r.cpuid) exit.cpuid = r.cpuid;
  if (r.descriptor) exit.descriptor = r.descriptor;
  if (r.memAccess) {
    const m = r.memAccess;
    exit.memAccess = { gpa: m.gpa, read: m.access === Access.READ, write: m.access === Access.WRITE, execute: m.access === Access.EXEC };
    if (m.gla !== undefined) exit.memAccess.gla = m.gla;
  }
  return exit;
}
