/**
 * The vendor-neutral record of a VM exit, as bhyve's `struct vm_exit` is for
 * its VMX and SVM backends: the personality (arch/) fills it from the CPU's
 * raw intercept with Intel or AMD semantics, and everything above reads only
 * this.
 */

export const ExitReason = {
  /** A #BP, from INT3 (length 1) or INT 3 (CD 03, length 2). */
  BREAKPOINT: 'breakpoint',
  /** A completed single step: the MTF exit (vmx) or the stepping #DB (svm). */
  SINGLESTEP: 'singlestep',
  /** Any other #DB: hardware breakpoints, general detect, ICEBP, the guest's own TF. */
  DEBUG: 'debug',
  /** Another exception the hypervisor asked to see. */
  EXCEPTION: 'exception',
  CPUID: 'cpuid',
  CR_WRITE: 'cr-write',
  MSR_WRITE: 'msr-write',
  IO: 'io',
  HLT: 'hlt',
  /** VMCALL/VMMCALL: the guest asking the hypervisor for something. */
  GUEST_REQUEST: 'guest-request',
  DESCRIPTOR: 'descriptor',
  INTERRUPT_WINDOW: 'interrupt-window',
  NMI_WINDOW: 'nmi-window',
  /** An access the second-level page permissions forbid (EPT violation / nested page fault). */
  MEM_ACCESS: 'mem-access',
  /** An interrupt, NMI or exception was delivered to the guest (RIP is its handler's first instruction). */
  INTERRUPT: 'interrupt',
} as const;
export type ExitReason = (typeof ExitReason)[keyof typeof ExitReason];

/** Event types for injection and for exceptions in exits (VMX interruption types, SDM Vol. 3C §24.8.3). */
export const EventKind = {
  EXTERNAL: 0, NMI: 2, HW_EXCEPTION: 3, SW_INTERRUPT: 4, PRIV_SW_EXCEPTION: 5, SW_EXCEPTION: 6,
} as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];

export interface VmExit {
  reason: ExitReason;
  vcpu: number;
  /** Guest RIP at the exit: the instruction for faults and instruction exits, the next one for traps. */
  rip: number;
  /** Length of the instruction involved (VM-exit instruction length / next RIP - RIP), 0 if none. */
  instructionLength: number;
  /** Retired instructions of this vCPU at the exit (guest time). */
  icount: number;
  exception?: { vector: number; type: EventKind; errorCode?: number; cr2?: number };
  /**
   * For #DB: the debug-exception bits (B0-B3, BD, BS) — VMX's exit
   * qualification; on SVM DR6 already holds them when the exit happens.
   */
  pendingDbg?: number;
  cr?: { index: number; value: number };
  msr?: { index: number; value: [lo: number, hi: number] };
  io?: { port: number; size: number; in: boolean; string: boolean; rep: boolean };
  cpuid?: { leaf: number; subleaf: number };
  descriptor?: { instruction: string };
  /**
   * For MEM_ACCESS: the guest-physical address, the linear one (absent for an
   * access without one), and what was attempted (Xen's vm_event_mem_access).
   */
  memAccess?: { gpa: number; gla?: number; read: boolean; write: boolean; execute: boolean };
  /** The exception was injected by the hypervisor's own emulation, not raised by the guest's instructions (seed 003). */
  emulated?: boolean;
}

/** An event to inject at the next entry (VM-entry interruption information / SVM EVENTINJ). */
export interface Injection {
  vector: number;
  type: EventKind;
  errorCode?: number;
  /** For software events: the instruction's length, so the pushed RIP is past it. */
  instructionLength?: number;
  /** Injected by the hypervisor on its own behalf (see VmExit.emulated); clients may opt in to see it. */
  emulated?: boolean;
}
