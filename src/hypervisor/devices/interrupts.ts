/**
 * The contracts between interrupt sources, interrupt controllers and vCPUs.
 * Devices raise lines; the I/O APIC and the PIC route them; a local APIC
 * holds what its vCPU should take and signals the vCPU; the CPU asks its
 * local APIC at instruction boundaries (SDM Vol. 3A chapter 10).
 */

/** What the CPU asks its local interrupt controller when it can take a maskable interrupt. */
export interface InterruptController {
  /** The vector of the highest-priority interrupt the CPU may take now, or -1 (SDM §10.8.3.1: IRR above PPR). */
  pendingVector(): number;
  /** The CPU takes `vector`: IRR to ISR for a fixed interrupt, or the PIC's INTA cycle for ExtINT. */
  acknowledge(vector: number): void;
}

/** An interrupt request line into the I/O APIC and the PIC. */
export interface IrqLine {
  /** Level-triggered sources hold the line; edge-triggered ones pulse it. */
  set(level: boolean): void;
  pulse(): void;
}

/** Signals a local APIC delivers to its vCPU (SDM Vol. 3A §10.6.1 delivery modes). */
export interface VcpuSignals {
  nmi(): void;
  init(): void;
  sipi(vector: number): void;
  /** A maskable interrupt became pending: a halted vCPU may wake. */
  kick(): void;
}

/** A vCPU's virtual time in ticks: retired instructions plus time spent halted. */
export interface VirtualClock {
  now(): number;
}

/** Something that needs to act at a point in virtual time (timers). */
export interface Deadline {
  /** The virtual time of the next event, or Infinity. */
  nextDeadline(): number;
  /** Called once virtual time has reached `nextDeadline()`. */
  expire(now: number): void;
}
