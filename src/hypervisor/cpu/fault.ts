/**
 * Guest faults. A `GuestFault` is thrown by an instruction handler and caught at
 * the instruction boundary by the execution loop, which then delivers the
 * exception to the guest (or, before an IDT exists, stops the vCPU). Callers of
 * the CPU never see one: it is guest state, not a host error.
 */

/** Exception vectors, SDM Vol. 3A §6.3.1 table 6-1. */
export const Vector = {
  DE: 0, DB: 1, NMI: 2, BP: 3, OF: 4, BR: 5, UD: 6, NM: 7,
  DF: 8, TS: 10, NP: 11, SS: 12, GP: 13, PF: 14, MF: 16, AC: 17, MC: 18, XM: 19,
} as const;
export type Vector = (typeof Vector)[keyof typeof Vector];

/** Vectors that push an error code (SDM Vol. 3A §6.13). */
export const hasErrorCode = (v: number): boolean =>
  v === Vector.DF || v === Vector.TS || v === Vector.NP || v === Vector.SS ||
  v === Vector.GP || v === Vector.PF || v === Vector.AC;

export class GuestFault extends Error {
  constructor(
    readonly vector: number,
    readonly errorCode = 0,
    /** Faulting linear address, for #PF (becomes CR2). */
    readonly address = 0,
    /**
     * A trap (INT3, INTO, ICEBP): the instruction retires and the saved RIP is
     * the next instruction's. Faults leave RIP on the faulting instruction
     * (SDM Vol. 3A §6.5).
     */
    readonly trap = false,
  ) {
    // Guest exceptions are control flow, thrown by the million (every #PF, every INT3 a
    // debugger intercepts): the host stack trace is never read and costs more than the
    // rest of the delivery, so it is not captured.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`guest ${trap ? 'trap' : 'fault'} #${vector}`);
    Error.stackTraceLimit = limit;
  }
}

// Function declarations (not arrows) so that TypeScript narrows after a call returning never.
export function fault(vector: number, errorCode = 0, address = 0): never {
  throw new GuestFault(vector, errorCode, address);
}
export function ud(): never {
  throw new GuestFault(Vector.UD);
}
export function gp(errorCode = 0): never {
  throw new GuestFault(Vector.GP, errorCode);
}
