/** The SDK's reason names (the wire's `reason` oneof cases) and the wire's Reason enum, both ways. */
import { Reason } from '../generated/tsvmi/v1/common.js';
import type { ReasonName } from './event.js';

export const WIRE_REASON: Readonly<Record<ReasonName, Reason>> = {
  softwareBreakpoint: Reason.REASON_SOFTWARE_BREAKPOINT,
  singleStep: Reason.REASON_SINGLESTEP,
  debugException: Reason.REASON_DEBUG_EXCEPTION,
  guestRequest: Reason.REASON_GUEST_REQUEST,
  cpuid: Reason.REASON_CPUID,
  writeCtrlreg: Reason.REASON_WRITE_CTRLREG,
  movToMsr: Reason.REASON_MOV_TO_MSR,
  ioInstruction: Reason.REASON_IO_INSTRUCTION,
  descriptorAccess: Reason.REASON_DESCRIPTOR_ACCESS,
  interrupt: Reason.REASON_INTERRUPT,
  memAccess: Reason.REASON_MEM_ACCESS,
};

export const REASON_NAMES = Object.keys(WIRE_REASON) as ReasonName[];
