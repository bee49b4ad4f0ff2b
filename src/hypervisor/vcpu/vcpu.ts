/**
 * A virtual CPU: the core (cpu/), its local interrupt controller, and the
 * state machine the domain schedules by.
 *
 *        INIT (AP at boot)              SIPI
 *   ┌──────────────────────► wait-sipi ──────────┐
 *   │                                            ▼
 *   │      HLT            interrupt/NMI     ┌─────────┐
 *   │  ┌────────────► halted ─────────────► │ running │ ◄── resume (pause count 0)
 *   │  │                                    └─────────┘
 *   │  └───────────────────────────────────────┘ │  │
 *   │                                            │  └──► paused (pause count > 0, any state underneath)
 *   └────────────────────────────────────────────┤
 *                         triple fault           ▼
 *                                             crashed (final; the host keeps running)
 *
 * Pausing is orthogonal: a vCPU with a non-zero pause count (its own or its
 * domain's) is not scheduled, whatever its state, as with Xen's
 * vcpu_pause/domain_pause counters.
 */
import type { Personality } from '../arch/personality.js';
import { Cpu, StopReason } from '../cpu/cpu.js';
import type { CodeCache } from '../cpu/code-cache.js';
import type { OpcodeTable } from '../cpu/decode/table.js';
import { Flag } from '../cpu/regs.js';
import { resetCpu, startupCpu } from '../cpu/reset.js';
import type { InterruptController, VcpuSignals, VirtualClock } from '../devices/interrupts.js';
import { OPEN } from '../mmu/mmu.js';
import type { PhysicalMemory } from '../mmu/physical.js';
import { EventKind, ExitReason, type Injection, type VmExit } from './exit.js';
import { VcpuStats } from './stats.js';
import { TraceLog } from './trace-log.js';

export const VcpuState = { RUNNING: 'running', HALTED: 'halted', WAIT_SIPI: 'wait-sipi', CRASHED: 'crashed' } as const;
export type VcpuState = (typeof VcpuState)[keyof typeof VcpuState];

/** What the domain reports when a vCPU dies. */
export interface CrashReport {
  vcpu: number;
  reason: string;
  /** The exception that started the cascade, if one did. */
  vector?: number;
  errorCode?: number;
  rip: number;
  icount: number;
}

/**
 * What to do with an exit (the answer of whoever watches the vCPU; Xen's
 * vm_event response): `reinject` makes it happen as if unmonitored (the
 * exception is delivered, the instruction runs), `drop` swallows it (nothing is
 * delivered; an instruction is skipped, so a CR or MSR write is denied),
 * `resume` just continues (traps such as a single step), and `pending` keeps
 * the vCPU paused until `resolveExit` gives the answer.
 */
export type ExitAction = 'reinject' | 'drop' | 'resume' | 'pending';

/** Intercepts that clients (the monitor, debuggers) asked for; the personality adds its own. */
export interface RequestedIntercepts {
  exceptions: number;
  /** Also intercept those exceptions when the hypervisor itself injects them (seed 003's opt-in). */
  emulated: boolean;
  pushf: boolean;
  popf: boolean;
  iret: boolean;
}

export class Vcpu implements VcpuSignals, VirtualClock {
  readonly cpu: Cpu;
  state: VcpuState = VcpuState.RUNNING;
  pauseCount = 0;
  crash: CrashReport | undefined;
  readonly stats = new VcpuStats();
  readonly trace: TraceLog;
  readonly requested: RequestedIntercepts = { exceptions: 0, emulated: false, pushf: false, popf: false, iret: false };
  /** Whoever watches this vCPU's exits (the monitor, tests); without one, exits are handled as if unmonitored. */
  exitHandler: ((exit: VmExit) => ExitAction) | undefined;
  /** The exit waiting for its answer while the vCPU is paused for it. */
  pendingExit: VmExit | undefined;
  /** Log every exception the guest takes, and reflect it (bhyve's hw.vmm.trace_guest_exceptions). */
  traceGuestExceptions = false;
  private personality: Personality | undefined;
  /** The local APIC, once the platform attaches one. */
  intc: (InterruptController & { cr8: number }) | undefined;

  constructor(readonly id: number, mem: PhysicalMemory, table: OpcodeTable, code: CodeCache, private readonly owner: { pauseCount: number } = { pauseCount: 0 }) {
    this.cpu = new Cpu(mem, table, code);
    this.cpu.apicId = id;
    this.trace = new TraceLog(id);
  }

  // ---- the vendor personality, intercepts and exits ----------------------------------------

  setPersonality(p: Personality): void {
    this.personality = p;
    this.cpu.onNmiDelivered = () => { this.trace.add(this.cpu.icount, 'NMI delivered'); p.onNmiDelivered(this); };
    this.cpu.onInterruptDelivered = (v) => this.trace.add(this.cpu.icount, `Delivering interrupt ${v}`);
    p.attach(this);
    this.syncIntercepts();
  }

  get capabilities(): Personality['capabilities'] | undefined {
    return this.personality?.capabilities;
  }

  /** Exceptions intercepted for clients: what they asked for, or all of them when tracing guest exceptions. */
  baseExceptions(): number {
    return this.requested.exceptions | (this.traceGuestExceptions ? ~(1 << 2) & 0xffffffff : 0);
  }

  /** Apply the requested intercepts; the personality then adds what it needs. */
  syncIntercepts(): void {
    const ic = this.cpu.intercepts, r = this.requested;
    ic.exceptions = this.baseExceptions();
    ic.emulatedEvents = r.emulated ? r.exceptions : 0;
    ic.pushf = r.pushf; ic.popf = r.popf; ic.iret = r.iret;
    this.cpu.maskInterrupts = this.stepping && this.maskWhileStepping;
    this.personality?.setSingleStep(this, this.stepping);
  }

  private stepping = false;
  private maskWhileStepping = true;

  get singleStepping(): boolean {
    return this.stepping;
  }

  /**
   * Single-step this vCPU: an exit after each instruction (MTF on vmx, a
   * shadowed TF on svm). Maskable interrupts are held off while stepping
   * unless `maskInterrupts` is false, so that a step does not wander into the
   * timer handler (seed 001).
   */
  setSingleStep(on: boolean, opts: { maskInterrupts?: boolean } = {}): void {
    this.stepping = on;
    this.maskWhileStepping = opts.maskInterrupts ?? true;
    this.syncIntercepts();
  }

  /** Queue an event for the next entry. */
  inject(event: Injection & { pendingDbg?: number }): void {
    this.cpu.injection = { ...event };
    this.stats.injected++;
    if (event.type === EventKind.NMI) this.stats.nmiInjected++;
    this.trace.add(this.cpu.icount, `Injecting ${event.type === EventKind.NMI ? 'NMI' : `vector ${event.vector}`} (type ${event.type}${event.errorCode !== undefined ? `, error ${event.errorCode}` : ''})`);
    if (this.state === VcpuState.HALTED) this.state = VcpuState.RUNNING;
  }

  /** Let the intercepted instruction run as if it were not intercepted. */
  emulateNext(): void {
    this.cpu.interceptsSuppressed = true;
  }

  private handleIntercept(): void {
    const record = this.cpu.exit!;
    this.cpu.exit = undefined;
    const exit = this.personality ? this.personality.onIntercept(this, record) : undefined;
    if (exit === undefined) return;
    this.stats.countExit(exit.reason);
    this.trace.add(exit.icount, `exit ${exit.reason} at rip 0x${exit.rip.toString(16)}${exit.exception ? ` vector ${exit.exception.vector}` : ''}`);
    if (this.traceGuestExceptions && exit.exception && !(this.requested.exceptions & (1 << exit.exception.vector))) {
      this.trace.add(exit.icount, `Reflecting exception ${exit.exception.vector}/${exit.exception.errorCode ?? 0} into the guest`);
      return this.apply(exit, 'reinject');
    }
    const action = this.exitHandler?.(exit) ?? unmonitoredAction(exit);
    if (action === 'pending') {
      this.pendingExit = exit;
      this.pauseCount++;
      return;
    }
    this.apply(exit, action);
  }

  /** Answer the exit the vCPU is paused on, and let it run. */
  resolveExit(action: Exclude<ExitAction, 'pending'>): void {
    const exit = this.pendingExit;
    if (!exit) throw new Error(`vCPU ${this.id} has no exit waiting for an answer`);
    this.pendingExit = undefined;
    this.pauseCount--;
    this.apply(exit, action);
  }

  private apply(exit: VmExit, action: Exclude<ExitAction, 'pending'>): void {
    // A completed step, an open window or a finished delivery has nothing to deliver or skip
    // (on svm a step arrives as a #DB, whose re-injection to a self-stepping guest the
    // personality does).
    if (exit.reason === ExitReason.SINGLESTEP || exit.reason === ExitReason.INTERRUPT_WINDOW || exit.reason === ExitReason.NMI_WINDOW ||
        exit.reason === ExitReason.INTERRUPT) return;
    const e = exit.exception;
    if (e) {
      if (action === 'reinject') {
        this.inject({
          vector: e.vector, type: e.type, ...(e.errorCode !== undefined ? { errorCode: e.errorCode } : {}),
          ...(exit.instructionLength ? { instructionLength: exit.instructionLength } : {}),
          ...(exit.pendingDbg !== undefined && this.capabilities?.vendor === 'intel' ? { pendingDbg: exit.pendingDbg } : {}),
        });
      }
      return;
    }
    if (exit.reason === ExitReason.MEM_ACCESS) {
      // As if unmonitored, the access happens: the instruction runs once past the page
      // permissions (Xen's VM_EVENT_FLAG_EMULATE); dropped, it is skipped and the access denied.
      if (action === 'reinject') this.cpu.mmu.beginOneShot(OPEN);
      else if (action === 'drop') this.cpu.rip = exit.rip + exit.instructionLength;
      return;
    }
    if (action === 'reinject') this.emulateNext();
    else if (action === 'drop') this.cpu.rip = exit.rip + exit.instructionLength;
  }

  /**
   * Run this vCPU's next instruction under these frame permissions instead of the
   * domain's, then restore them (a reply's step permissions: Xen's altp2m view switch
   * plus a single step, done in one).
   */
  stepWithPageAccess(view: ReadonlyMap<number, number>): void {
    this.cpu.mmu.beginOneShot(view);
  }

  attachInterruptController(intc: InterruptController & { cr8: number }): void {
    this.intc = intc;
    this.cpu.intc = intc;
  }

  now(): number {
    return this.cpu.time();
  }

  /** Paused by its own pause count or its domain's (Xen's vcpu_pause / domain_pause). */
  get paused(): boolean {
    return this.pauseCount > 0 || this.owner.pauseCount > 0;
  }

  get runnable(): boolean {
    return !this.paused && this.state === VcpuState.RUNNING;
  }

  // ---- signals from the local APIC (SDM Vol. 3A §10.6.1) ------------------------------------------

  nmi(): void {
    this.cpu.raiseNmi();
    if (this.state === VcpuState.HALTED) this.state = VcpuState.RUNNING;
  }

  /** INIT: the processor resets and, as an AP, waits for a start-up IPI (SDM Vol. 3A §8.4.1). */
  init(): void {
    if (this.state === VcpuState.CRASHED) return;
    resetCpu(this.cpu);
    this.state = VcpuState.WAIT_SIPI;
  }

  sipi(vector: number): void {
    if (this.state !== VcpuState.WAIT_SIPI) return; // SIPIs are ignored outside wait-for-SIPI
    startupCpu(this.cpu, vector);
    this.state = VcpuState.RUNNING;
  }

  kick(): void {
    this.cpu.kick();
    if (this.state === VcpuState.HALTED && this.wakeable()) this.state = VcpuState.RUNNING;
  }

  /** A halted CPU resumes for an NMI, or a maskable interrupt it may take (IF = 1). */
  wakeable(): boolean {
    const c = this.cpu;
    return (c.nmiPending && !c.nmiBlocked) || ((c.rflags & Flag.IF) !== 0 && (this.intc?.pendingVector() ?? -1) >= 0);
  }

  /** Account for the end of a run slice: HLT, shutdown, or an exception nobody handled. */
  settle(): void {
    const c = this.cpu;
    switch (c.stopReason) {
      case StopReason.HALT:
        this.state = this.wakeable() ? VcpuState.RUNNING : VcpuState.HALTED;
        break;
      case StopReason.SHUTDOWN:
        this.die('triple fault');
        break;
      case StopReason.FAULT:
        this.die('unhandled exception');
        break;
      case StopReason.INTERCEPT:
        this.handleIntercept();
        break;
    }
  }

  private die(reason: string): void {
    const c = this.cpu, f = c.lastFault;
    this.state = VcpuState.CRASHED;
    this.crash = { vcpu: this.id, reason, rip: c.rip, icount: c.icount, ...(f ? { vector: f.vector, errorCode: f.errorCode } : {}) };
  }
}

/** How an exit goes when nothing monitors it (no watcher, or one not interested): a step goes on, anything else happens. */
export function unmonitoredAction(exit: VmExit): 'resume' | 'reinject' {
  return exit.reason === ExitReason.SINGLESTEP ? 'resume' : 'reinject';
}
