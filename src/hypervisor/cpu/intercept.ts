/**
 * Intercept controls and the raw record of an intercepted event: the CPU's
 * side of a VMCS or VMCB. The CPU knows nothing of vendors; the personalities
 * in ../arch turn these records into the vendor-neutral VmExit (vcpu/exit.ts)
 * with Intel or AMD semantics.
 *
 * An instruction intercept stops the vCPU *before* the instruction runs (RIP
 * on it, its length given); an exception intercept stops it instead of
 * delivering the exception; the monitor-trap intercept stops it after each
 * instruction boundary (SDM Vol. 3C §25.5.2).
 */

export const InterceptKind = {
  EXCEPTION: 'exception',
  MONITOR_TRAP: 'monitor-trap',
  CPUID: 'cpuid',
  CR_WRITE: 'cr-write',
  MSR_WRITE: 'msr-write',
  IO: 'io',
  HLT: 'hlt',
  VMCALL: 'vmcall',
  DESCRIPTOR: 'descriptor',
  PUSHF: 'pushf',
  POPF: 'popf',
  IRET: 'iret',
  INTERRUPT_WINDOW: 'interrupt-window',
  NMI_WINDOW: 'nmi-window',
  /** A second-level permission violation (EPT violation / nested page fault): the instruction did not complete. */
  MEM_ACCESS: 'mem-access',
  /** An event was just delivered through the guest's IDT: the vCPU stops at the handler's first instruction. */
  DELIVERED: 'delivered',
} as const;
export type InterceptKind = (typeof InterceptKind)[keyof typeof InterceptKind];

/** What an intercepted event was; fields beyond the first four depend on the kind. */
export interface InterceptRecord {
  kind: InterceptKind;
  /** Linear address of the instruction (or, for traps and windows, of the next one). */
  rip: number;
  /** Length of the intercepted instruction, 0 where none is involved. */
  length: number;
  /** Retired-instruction count when it happened. */
  icount: number;
  exception?: {
    vector: number; type: number; errorCode: number | undefined; cr2?: number;
    /** For #DB: the DR6 bits it reports, and whether the guest's own TF caused (part of) it. */
    dr6Bits?: number; guestStep?: boolean;
  };
  cr?: { index: number; value: number };
  msr?: { index: number; lo: number; hi: number };
  io?: { port: number; size: number; in: boolean; string: boolean; rep: boolean };
  cpuid?: { leaf: number; subleaf: number };
  descriptor?: { instruction: string };
  /** An exception the hypervisor injected on its own (not the guest's instruction stream, not a client's reply). */
  emulated?: boolean;
  /** For MEM_ACCESS: the guest-physical and (if any) linear address, and the access kind (Access). */
  memAccess?: { gpa: number; gla: number | undefined; access: number };
}

/** The per-vCPU controls, like the execution controls of a VMCS or the intercept vectors of a VMCB. */
export class Intercepts {
  /** Bit n set: exception vector n causes an intercept instead of being delivered. */
  exceptions = 0;
  /** Stop after every instruction (Intel's monitor trap flag). */
  monitorTrap = false;
  cpuid = false;
  /** Bit n set: writes to CRn are intercepted. */
  crWrites = 0;
  msrWrites = false;
  io = false;
  hlt = false;
  vmcall = false;
  descriptor = false;
  pushf = false;
  popf = false;
  iret = false;
  interruptWindow = false;
  nmiWindow = false;
  /**
   * Bit n set: vector n is intercepted also when the hypervisor itself injects it (a
   * personality re-injecting the guest's #DB). Clear, such injections go straight to the
   * guest, as on Xen before seed 003's change; monitor clients opt in.
   */
  emulatedEvents = 0;
  /** Stop after each event delivered through the IDT (interrupts, NMIs, exceptions, INT n). */
  delivered = false;

  exception(vector: number): boolean {
    return (this.exceptions & (1 << vector)) !== 0;
  }
}

/** Thrown by a handler to stop the vCPU at an intercept; the run loop catches it like a GuestFault. */
export class InterceptSignal extends Error {
  constructor(readonly record: InterceptRecord) {
    super(`intercept: ${record.kind}`);
  }
}
