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

/** ktrdump -cto style: index, cpu, timestamp, message. */
export function formatTrace(entries: TraceEntry[]): string {
  return entries
    .sort((a, b) => a.icount - b.icount || a.vcpu - b.vcpu)
    .map((e, k) => `${String(k).padStart(6)} ${String(e.vcpu).padStart(3)} ${String(e.icount).padStart(14)} ${e.message}`)
    .join('\n');
}
