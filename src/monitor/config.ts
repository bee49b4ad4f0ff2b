/**
 * Which events a domain reports, and how (Xen's monitor ops: each reason
 * enabled or not, sync — the vCPU waits for the reply — or async, and
 * "on change only" for control-register and MSR writes). Applying a
 * configuration sets the vCPUs' intercepts.
 */
import type { Vcpu } from '../hypervisor/vcpu/vcpu.js';
import { Reason } from './event.js';

export interface ReasonConfig {
  sync: boolean;
  /** CR and MSR writes: report only writes that change the value (Xen's onchangeonly). */
  onChangeOnly?: boolean;
}

/** Enabled reasons; a reason that is absent is disabled. */
export type MonitorConfig = Partial<Record<Reason, ReasonConfig>>;

const BP = 1 << 3, DB = 1 << 1;
/** Control registers whose writes are reported (CR0, CR3, CR4), as Xen's VM_EVENT_X86_CR0/3/4. */
const MONITORED_CRS = (1 << 0) | (1 << 3) | (1 << 4);

export function applyConfig(vcpu: Vcpu, config: MonitorConfig): void {
  const ic = vcpu.cpu.intercepts;
  vcpu.requested.exceptions = (config[Reason.SOFTWARE_BREAKPOINT] ? BP : 0) | (config[Reason.DEBUG_EXCEPTION] ? DB : 0);
  ic.cpuid = config[Reason.CPUID] !== undefined;
  ic.crWrites = config[Reason.WRITE_CTRLREG] ? MONITORED_CRS : 0;
  ic.msrWrites = config[Reason.MOV_TO_MSR] !== undefined;
  ic.io = config[Reason.IO_INSTRUCTION] !== undefined;
  ic.vmcall = config[Reason.GUEST_REQUEST] !== undefined;
  ic.descriptor = config[Reason.DESCRIPTOR_ACCESS] !== undefined;
  vcpu.syncIntercepts();
}
