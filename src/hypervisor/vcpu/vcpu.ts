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
import { Cpu, StopReason } from '../cpu/cpu.js';
import type { CodeCache } from '../cpu/code-cache.js';
import type { OpcodeTable } from '../cpu/decode/table.js';
import { Flag } from '../cpu/regs.js';
import { resetCpu, startupCpu } from '../cpu/reset.js';
import type { InterruptController, VcpuSignals, VirtualClock } from '../devices/interrupts.js';
import type { PhysicalMemory } from '../mmu/physical.js';

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

export class Vcpu implements VcpuSignals, VirtualClock {
  readonly cpu: Cpu;
  state: VcpuState = VcpuState.RUNNING;
  pauseCount = 0;
  crash: CrashReport | undefined;
  /** The local APIC, once the platform attaches one. */
  intc: (InterruptController & { cr8: number }) | undefined;

  constructor(readonly id: number, mem: PhysicalMemory, table: OpcodeTable, code: CodeCache, private readonly owner: { pauseCount: number } = { pauseCount: 0 }) {
    this.cpu = new Cpu(mem, table, code);
    this.cpu.apicId = id;
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
    }
  }

  private die(reason: string): void {
    const c = this.cpu, f = c.lastFault;
    this.state = VcpuState.CRASHED;
    this.crash = { vcpu: this.id, reason, rip: c.rip, icount: c.icount, ...(f ? { vector: f.vector, errorCode: f.errorCode } : {}) };
  }
}
