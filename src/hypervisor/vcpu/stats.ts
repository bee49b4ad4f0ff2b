/** Per-vCPU counters, named like bhyve's `bhyvectl --get-stats` ones. */
export class VcpuStats {
  /** VM exits by reason (the vendor-neutral ExitReason, plus internal ones such as "iret"). */
  readonly exits = new Map<string, number>();
  injected = 0;
  nmiInjected = 0;
  /** IRET tracing saw the #DB after the guest's IRET: NMI blocking ended exactly there. */
  vnmiUnblockedPrecisely = 0;
  /** Tracing was cut short by another exit, so blocking was cleared at that point instead. */
  vnmiUnblockedSpeculatively = 0;

  countExit(reason: string): void {
    this.exits.set(reason, (this.exits.get(reason) ?? 0) + 1);
  }

  toJSON(): Record<string, number | Record<string, number>> {
    return {
      exits: Object.fromEntries([...this.exits].sort()),
      injected: this.injected,
      nmiInjected: this.nmiInjected,
      vnmiUnblockedPrecisely: this.vnmiUnblockedPrecisely,
      vnmiUnblockedSpeculatively: this.vnmiUnblockedSpeculatively,
    };
  }
}
