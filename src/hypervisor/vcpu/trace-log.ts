/**
 * A bounded per-vCPU trace of exits and injections, in the manner of
 * FreeBSD's KTR and `ktrdump`: entries are stamped with the vCPU's guest time
 * (retired instructions), so a trace reads the same on every run.
 */
export interface TraceEntry { icount: number; vcpu: number; message: string }

export class TraceLog {
  private readonly ring: (TraceEntry | undefined)[];
  private next = 0;
  /** Entries ever written (older ones fall off the ring). */
  written = 0;

  constructor(readonly vcpu: number, readonly capacity = 4096) {
    this.ring = new Array(capacity);
  }

  add(icount: number, message: string): void {
    this.ring[this.next] = { icount, vcpu: this.vcpu, message };
    this.next = (this.next + 1) % this.capacity;
    this.written++;
  }

  entries(): TraceEntry[] {
    const out: TraceEntry[] = [];
    for (let k = 0; k < this.capacity; k++) {
      const e = this.ring[(this.next + k) % this.capacity];
      if (e) out.push(e);
    }
    return out;
  }
}

/**
 * Several vCPUs' entries as one log, in place: by guest time, then vCPU. The sort is
 * stable, so one vCPU's entries of the same instant keep the order they were written in
 * (an injection, then its delivery).
 */
export function inGuestTimeOrder(entries: TraceEntry[]): TraceEntry[] {
  return entries.sort((a, b) => a.icount - b.icount || a.vcpu - b.vcpu);
}
