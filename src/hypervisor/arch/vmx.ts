/**
 * The Intel personality. Single-stepping is the monitor trap flag: an exit
 * at every instruction boundary, independent of the guest's own RFLAGS.TF
 * (SDM Vol. 3C §25.5.2). NMI blocking is tracked by hardware ("virtual
 * NMIs", §24.6.1), so IRET ends it as on bare metal. A #DB exit leaves DR6
 * alone and reports the debug-exception bits in the exit qualification
 * (§27.1, §27.2.1); they reach DR6 only when the #DB is delivered.
 */
import type { InterceptRecord } from '../cpu/intercept.js';
import type { VmExit } from '../vcpu/exit.js';
import type { Vcpu } from '../vcpu/vcpu.js';
import { toVmExit } from './exit-record.js';
import type { Capabilities, Personality } from './personality.js';

export class VmxPersonality implements Personality {
  readonly capabilities: Capabilities = {
    vendor: 'intel', monitorTrap: true, singleStep: 'mtf', virtualNmi: true, instructionLength: true,
  };

  attach(vcpu: Vcpu): void {
    vcpu.cpu.iretUnblocksNmi = true;
  }

  setSingleStep(vcpu: Vcpu, on: boolean): void {
    vcpu.cpu.intercepts.monitorTrap = on;
  }

  onIntercept(vcpu: Vcpu, record: InterceptRecord): VmExit | undefined {
    return toVmExit(vcpu.id, record);
  }

  onNmiDelivered(): void {}
}
