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

/** The exit for a raw intercept, or undefined for the personality-internal ones (PUSHF, POPF, IRET). */
export function toVmExit(vcpu: number, r: InterceptRecord): VmExit | undefined {
  const base = { vcpu, rip: r.rip, instructionLength: r.length, icount: r.icount };
  if (r.kind === InterceptKind.DELIVERED) return { ...base, reason: ExitReason.INTERRUPT, exception: exceptionOf(r.exception!) };
  if (r.kind === InterceptKind.EXCEPTION) {
    const e = r.exception!;
    const reason = e.vector === Vector.BP ? ExitReason.BREAKPOINT : e.vector === Vector.DB ? ExitReason.DEBUG : ExitReason.EXCEPTION;
    return {
      ...base, reason, ...(r.emulated ? { emulated: true } : {}),
      exception: exceptionOf(e),
      ...(e.dr6Bits !== undefined ? { pendingDbg: e.dr6Bits } : {}),
    };
  }
  const reason = REASONS[r.kind];
  if (reason === undefined) return undefined;
  return {
    ...base, reason,
    ...(r.cr ? { cr: r.cr } : {}),
    ...(r.msr ? { msr: { index: r.msr.index, value: [r.msr.lo, r.msr.hi] as [number, number] } } : {}),
    ...(r.io ? { io: r.io } : {}),
    ...(r.cpuid ? { cpuid: r.cpuid } : {}),
    ...(r.descriptor ? { descriptor: r.descriptor } : {}),
    ...(r.memAccess ? { memAccess: memAccess(r.memAccess) } : {}),
  };
}

function memAccess(m: NonNullable<InterceptRecord['memAccess']>): NonNullable<VmExit['memAccess']> {
  return {
    gpa: m.gpa, ...(m.gla !== undefined ? { gla: m.gla } : {}),
    read: m.access === Access.READ, write: m.access === Access.WRITE, execute: m.access === Access.EXEC,
  };
}

function exceptionOf(e: NonNullable<InterceptRecord['exception']>): NonNullable<VmExit['exception']> {
  return { vector: e.vector, type: e.type as EventKind, ...(e.errorCode !== undefined ? { errorCode: e.errorCode } : {}), ...(e.cr2 !== undefined ? { cr2: e.cr2 } : {}) };
}
