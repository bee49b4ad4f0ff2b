/**
 * The AMD personality: SVM without the monitor trap flag and without virtual
 * NMI support, modelled on bhyve's svm.c and the seeds.
 *
 * Single-stepping (seed 000) uses RFLAGS.TF that the hypervisor owns: the
 * CPU's `hostStep` traps exactly like TF, but the guest keeps its own TF — in
 * RFLAGS, in PUSHF images, in exception and interrupt frames, across IRET.
 * That is the effect of bhyve's PUSHF fix-up and POPF shadow update, extended
 * to the frames and IRET that the review of seed 000 names as the remaining
 * hole. #DB, PUSHF and POPF are intercepted while stepping, as on SVM.
 *
 * A #DB exit on SVM comes after DR6 was written (APM Vol. 2 §15.12.2): the
 * personality writes DR6 and, when the trap was only the hypervisor's step,
 * restores the guest's DR6. When the guest stepped too, its #DB is
 * re-injected after the step is reported (seed 002).
 *
 * NMIs (seed 004): without vNMI the hypervisor tracks NMI blocking. After
 * delivering an NMI it intercepts IRET; at the IRET it single-steps with TF+RF
 * ("IRET tracing"); the #DB right after the IRET ends blocking "precisely". An
 * IRET that faults ends blocking too (SDM Vol. 3A §6.7.1) and the fault is
 * reflected into the guest. Any other exit during tracing ends it
 * "speculatively".
 */
import { Vector } from '../cpu/fault.js';
import { InterceptKind, type InterceptRecord } from '../cpu/intercept.js';
import { Dr6, reportDebug } from '../cpu/debug.js';
import { EventKind, ExitReason, type VmExit } from '../vcpu/exit.js';
import type { Vcpu } from '../vcpu/vcpu.js';
import { toVmExit } from './exit-record.js';
import type { Capabilities, Personality } from './personality.js';

interface SvmState {
  stepping: boolean;
  tracingIret: boolean;
}

/** Exceptions an IRET can raise while it is traced (#NP, #SS, #GP, #PF): reflected to the guest. */
const IRET_FAULTS = (1 << Vector.NP) | (1 << Vector.SS) | (1 << Vector.GP) | (1 << Vector.PF);

export class SvmPersonality implements Personality {
  readonly capabilities: Capabilities = {
    vendor: 'amd', monitorTrap: false, singleStep: 'rflags-tf', virtualNmi: false, instructionLength: true,
  };
  private readonly state = new WeakMap<Vcpu, SvmState>();

  private st(vcpu: Vcpu): SvmState {
    let s = this.state.get(vcpu);
    if (!s) this.state.set(vcpu, s = { stepping: false, tracingIret: false });
    return s;
  }

  attach(vcpu: Vcpu): void {
    vcpu.cpu.iretUnblocksNmi = false;
    this.sync(vcpu);
  }

  /** The intercepts this personality needs, on top of what clients asked for (vcpu.requested). */
  private sync(vcpu: Vcpu): void {
    const s = this.st(vcpu), c = vcpu.cpu, ic = c.intercepts;
    c.hostStep = s.stepping || s.tracingIret;
    ic.exceptions = vcpu.baseExceptions() | (c.hostStep ? 1 << Vector.DB : 0) | (s.tracingIret ? IRET_FAULTS : 0);
    ic.pushf = vcpu.requested.pushf || s.stepping;
    ic.popf = vcpu.requested.popf || s.stepping;
    ic.iret = vcpu.requested.iret || s.stepping || c.nmiBlocked;
  }

  setSingleStep(vcpu: Vcpu, on: boolean): void {
    this.st(vcpu).stepping = on;
    this.sync(vcpu);
  }

  onNmiDelivered(vcpu: Vcpu): void {
    this.sync(vcpu); // arm the IRET intercept
  }

  onIntercept(vcpu: Vcpu, r: InterceptRecord): VmExit | undefined {
    const s = this.st(vcpu), c = vcpu.cpu;
    if (r.kind === InterceptKind.EXCEPTION && r.exception!.vector === Vector.DB) return this.debugExit(vcpu, r);
    if (s.tracingIret && r.kind === InterceptKind.EXCEPTION && (IRET_FAULTS & (1 << r.exception!.vector))) {
      const e = r.exception!;
      this.unblock(vcpu, true);
      vcpu.trace.add(r.icount, `Reflecting exception ${e.vector}/${e.errorCode ?? 0} into the guest`);
      vcpu.inject({ vector: e.vector, type: EventKind.HW_EXCEPTION, ...(e.errorCode !== undefined ? { errorCode: e.errorCode } : {}), emulated: true });
      return vcpu.requested.exceptions & (1 << e.vector) ? toVmExit(vcpu.id, r) : undefined;
    }
    if (s.tracingIret) this.unblock(vcpu, false);
    switch (r.kind) {
      case InterceptKind.IRET:
        vcpu.stats.countExit('iret');
        if (c.nmiBlocked && !s.tracingIret) {
          s.tracingIret = true;
          vcpu.trace.add(r.icount, 'vNMI iret tracing enabled');
          this.sync(vcpu);
        }
        vcpu.emulateNext();
        return undefined;
      case InterceptKind.PUSHF: case InterceptKind.POPF:
        // The guest-visible RFLAGS never holds the hypervisor's TF, so PUSHF pushes and POPF
        // updates the guest's own TF: bhyve's fix-up and shadow update, done by construction.
        vcpu.stats.countExit(r.kind);
        vcpu.emulateNext();
        return undefined;
    }
    return toVmExit(vcpu.id, r);
  }

  private debugExit(vcpu: Vcpu, r: InterceptRecord): VmExit | undefined {
    const s = this.st(vcpu), c = vcpu.cpu, bits = r.exception!.dr6Bits ?? 0;
    const dr6Before = c.dr[6]!;
    if (!r.emulated) reportDebug(c, bits); // SVM: DR6 is written before the #DB intercept (a re-injection's already was)
    const hostTrap = (bits & Dr6.BS) !== 0 && c.hostStep;
    if (!hostTrap) {
      if (vcpu.requested.exceptions & (1 << Vector.DB)) return toVmExit(vcpu.id, r);
      vcpu.inject({ vector: Vector.DB, type: r.exception!.type as EventKind, emulated: true }); // the guest's own #DB, DR6 already set
      return undefined;
    }
    const guestStepped = r.exception!.guestStep === true;
    if (!guestStepped) c.dr[6] = dr6Before; // the step was ours alone: the guest's DR6 is untouched
    else vcpu.inject({ vector: Vector.DB, type: EventKind.HW_EXCEPTION, emulated: true }); // seed 002's re-injection
    if (s.tracingIret) {
      this.unblock(vcpu, true);
      if (!s.stepping) return undefined;
    }
    return { ...toVmExit(vcpu.id, r)!, reason: ExitReason.SINGLESTEP };
  }

  private unblock(vcpu: Vcpu, precisely: boolean): void {
    const s = this.st(vcpu), c = vcpu.cpu;
    s.tracingIret = false;
    c.nmiBlocked = false;
    if (c.nmiPending) c.kick();
    if (precisely) vcpu.stats.vnmiUnblockedPrecisely++;
    else vcpu.stats.vnmiUnblockedSpeculatively++;
    vcpu.trace.add(c.icount, precisely ? 'vNMIs unblocked precisely' : 'vNMIs unblocked speculatively');
    this.sync(vcpu);
  }
}
