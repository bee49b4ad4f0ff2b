/**
 * A vendor personality: how VM exits look and how single-stepping works, as
 * on an Intel (VMX) or AMD (SVM) host. Both fill the same VmExit record from
 * the CPU's raw intercepts, like bhyve's vmx.c and svm.c fill vm_exitcode.
 */
import type { InterceptRecord } from '../cpu/intercept.js';
import type { VmExit } from '../vcpu/exit.js';
import type { Vcpu } from '../vcpu/vcpu.js';

export const Vendor = { INTEL: 'intel', AMD: 'amd' } as const;
export type VendorName = (typeof Vendor)[keyof typeof Vendor];

export interface Capabilities {
  vendor: VendorName;
  /** The monitor trap flag: an exit after each instruction (VMX only). */
  monitorTrap: boolean;
  /** How single-stepping is done: MTF on VMX, a shadowed RFLAGS.TF on SVM. */
  singleStep: 'mtf' | 'rflags-tf';
  /** The hardware tracks virtual-NMI blocking (VMX "virtual NMIs"); SVM here traces IRET instead. */
  virtualNmi: boolean;
  /** Exit records carry the instruction length (VMX exit instruction length; SVM next-RIP). */
  instructionLength: boolean;
}

export interface Personality {
  readonly capabilities: Capabilities;
  /** Set the CPU up for this vendor (called once per vCPU). */
  attach(vcpu: Vcpu): void;
  setSingleStep(vcpu: Vcpu, on: boolean): void;
  /**
   * Turn a raw intercept into a VmExit for whoever watches this vCPU, or
   * handle it here (stepping and IRET-tracing mechanics) and return undefined.
   */
  onIntercept(vcpu: Vcpu, record: InterceptRecord): VmExit | undefined;
  /** An NMI was delivered to the guest (blocking starts). */
  onNmiDelivered(vcpu: Vcpu): void;
}
