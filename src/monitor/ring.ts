/**
 * The bounded event ring of one domain (Xen's vm_event ring). It holds
 * events not yet handed to a controller and sync events not yet answered. A
 * vCPU that finds it full waits — paused, with its event held — until a
 * slot frees, so no event is dropped (Xen's vm_event_claim_slot / wait queue).
 */
import type { MonitorEvent } from './event.js';

export class EventRing {
  /** Events waiting to be handed to a controller, oldest first. */
  private readonly queued: MonitorEvent[] = [];
  /** Sync events handed out and not answered yet, by sequence number. */
  readonly outstanding = new Map<bigint, MonitorEvent>();
  /** Events that found the ring full, with the vCPUs held for them. */
  private readonly waiting: MonitorEvent[] = [];
  /** Times a vCPU had to wait for a slot. */
  waits = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`the ring needs at least one slot, got ${capacity}`);
  }

  get occupancy(): number {
    return this.queued.length + this.outstanding.size;
  }

  /** Events held now for a free slot. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Put an event, or hold it (returns false) while the ring is full. */
  put(e: MonitorEvent): boolean {
    if (this.occupancy >= this.capacity) {
      this.waits++;
      this.waiting.push(e);
      return false;
    }
    this.queued.push(e);
    return true;
  }

  /** Hand out everything queued; sync events stay outstanding until answered. */
  take(isSync: (e: MonitorEvent) => boolean): MonitorEvent[] {
    const out = this.queued.splice(0);
    for (const e of out) if (isSync(e)) this.outstanding.set(e.seq, e);
    return out;
  }

  /**
   * A sync event not answered yet: handed out, or still queued or waiting for a slot. A
   * transport may show events before the ring hands them out (NATS publishes each one
   * when raised), so a controller can answer one that is still queued or waiting.
   */
  find(seq: bigint): MonitorEvent | undefined {
    return this.outstanding.get(seq) ?? this.queued.find((e) => e.seq === seq) ?? this.waiting.find((e) => e.seq === seq);
  }

  /**
   * An event leaves the ring, wherever it is: answered by the controller, or let go by the
   * hypervisor (a breakpoint that was removed, a reason disabled). Returns the events that
   * were waiting and now fit.
   */
  remove(seq: bigint): MonitorEvent[] {
    if (!this.outstanding.delete(seq)) {
      for (const list of [this.queued, this.waiting]) {
        const k = list.findIndex((e) => e.seq === seq);
        if (k >= 0) list.splice(k, 1);
      }
    }
    return this.admitWaiting();
  }

  /** Unanswered events go back to the front of the queue (for the next controller); returns them. */
  requeueOutstanding(): MonitorEvent[] {
    const back = [...this.outstanding.values()].sort((a, b) => (a.seq < b.seq ? -1 : 1));
    this.queued.unshift(...back);
    this.outstanding.clear();
    return back;
  }

  queuedEvents(): readonly MonitorEvent[] {
    return this.queued;
  }

  admitWaiting(): MonitorEvent[] {
    const admitted: MonitorEvent[] = [];
    while (this.waiting.length > 0 && this.occupancy < this.capacity) {
      const e = this.waiting.shift()!;
      this.queued.push(e);
      admitted.push(e);
    }
    return admitted;
  }
}
