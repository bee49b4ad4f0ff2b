/**
 * Software breakpoints managed for the client, as DRAKVUF and smartvmi do it
 * on Xen: an int3 written over the first byte of an instruction, the original
 * byte kept, and every hit stepped over without the guest noticing.
 *
 * A hit steps over like this: the other vCPUs are paused, the original byte
 * goes back, the hit is dropped (no #BP reaches the guest; RIP stays on the
 * instruction) with single-stepping on, and when the step completes the int3
 * goes back in and the others resume. Step-overs run one at a time, so with
 * many vCPUs hitting the same breakpoint none of them can run past the restored
 * byte unseen (smartvmi#140: restoring the byte while another vCPU runs loses
 * that vCPU's hit). The guest's own int3, where no breakpoint of ours is, is
 * left to the event streams (re-injected by default). A removed breakpoint's
 * queued hits are discarded by the domain (seed 001) or, if already here,
 * dropped so the vCPU runs the original instruction.
 */
import { Subject, type Observable } from 'rxjs';
import { ConnectionLostError, UnknownDomainError, VmiError } from './errors.js';
import type { VmiEvent } from './event.js';
import type { AddressSpace, Vmi } from './vmi.js';

const INT3 = 0xcc;
/** Linear addresses from here up are the kernel's, the same in every address space. */
const KERNEL_HALF = 0xffff800000000000n;

export interface Breakpoint {
  readonly va: bigint;
  /** The address space it was set in: undefined for the kernel's. */
  readonly dtb: bigint | undefined;
  /** Hits so far. */
  readonly hits: number;
  /** Each hit, before it is stepped over (the vCPU waits; do not reply to it). */
  readonly hits$: Observable<VmiEvent<'softwareBreakpoint'>>;
  remove(): Promise<void>;
}

interface Entry {
  va: bigint;
  dtb: bigint | undefined;
  pa: bigint;
  original: number;
  hits: number;
  subject: Subject<VmiEvent<'softwareBreakpoint'>>;
  removed: boolean;
  hold?: (e: VmiEvent<'softwareBreakpoint'>) => Promise<unknown>;
}

export class Breakpoints {
  private readonly entries = new Map<string, Entry>();
  /** vCPUs stepping over a breakpoint, waiting for their single-step event (undefined: the step was called off). */
  private readonly stepping = new Map<number, (e: VmiEvent<'singleStep'> | undefined) => void>();
  /** Step-overs run one after another. */
  private queue: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;
  /** Step-overs done, breakpoint events that were not ours (left to the streams), and stealth reads served. */
  readonly stats = { stepOvers: 0, foreign: 0, unveiled: 0 };
  /** Frames holding stealth breakpoints, with how many. */
  private readonly hidden = new Map<bigint, number>();

  /**
   * `stealth`: guest reads of a breakpoint's byte see the original, as with DRAKVUF's
   * shadow pages. The frame becomes execute-only (EPT-style page permissions); each read or
   * write of it is a mem-access event, served by running that one instruction with the
   * original bytes in place. Reads of such a frame get slow, executing it does not.
   */
  constructor(private readonly vmi: Vmi, private readonly opts: { stealth?: boolean } = {}) {}

  /**
   * Insert a breakpoint at `va` (kernel addresses by default). Inserting one twice is
   * refused. `hold`, if given, runs at each hit while the vCPU still waits on it (libvmi's
   * event callback): the step-over starts once it settles, so it may read guest state as
   * it was at the hit.
   */
  async insert(va: bigint, space: AddressSpace = 'kernel', hold?: (e: VmiEvent<'softwareBreakpoint'>) => Promise<unknown>): Promise<Breakpoint> {
    const dtb = va >= KERNEL_HALF || space === 'kernel' ? undefined : 'dtb' in space ? space.dtb : await this.vmi.pidToDtb(space.pid);
    const key = keyOf(va, dtb);
    if (this.entries.has(key)) throw new VmiError(`a breakpoint is already set at 0x${va.toString(16)}`);
    if (!this.release) {
      this.release = this.vmi.claim((e) => this.onEvent(e));
      await this.vmi.monitor({ softwareBreakpoint: { sync: true }, singleStep: { sync: true }, ...(this.opts.stealth ? { memAccess: { sync: true } } : {}) });
    }
    const pa = dtb === undefined ? await this.vmi.translateKV2P(va) : await this.vmi.memory.translate(dtb, va);
    const original = (await this.vmi.readPA(pa, 1))[0]!;
    if (original === INT3) throw new VmiError(`0x${va.toString(16)} already holds an int3`);
    const entry: Entry = { va, dtb, pa, original, hits: 0, subject: new Subject(), removed: false, ...(hold ? { hold } : {}) };
    this.entries.set(key, entry);
    await this.vmi.writePA(pa, Uint8Array.of(INT3));
    if (this.opts.stealth) await this.hide(pa >> 12n, +1);
    return {
      va, dtb,
      get hits() { return entry.hits; },
      hits$: entry.subject.asObservable(),
      remove: () => this.remove(key),
    };
  }

  /**
   * Remove every breakpoint (what a client does before it detaches). A step-over still
   * waiting for its step is called off: that vCPU stops single-stepping, so that no step
   * event is left for a client that is gone, and the vCPUs paused for it resume.
   */
  async removeAll(): Promise<void> {
    await untilGone(async () => {
      for (const key of [...this.entries.keys()]) await this.remove(key);
      for (const [vcpu, wake] of [...this.stepping]) {
        this.stepping.delete(vcpu);
        wake(undefined);
        await this.vmi.setSingleStep(vcpu, false);
      }
      await this.queue;
      if (this.release) {
        // Disabling what insert() enabled lets go any step or hit already raised but not yet
        // here: nothing is left waiting for a client about to detach.
        this.release();
        this.release = undefined;
        await this.vmi.monitor({ softwareBreakpoint: null, singleStep: null, ...(this.opts.stealth ? { memAccess: null } : {}) });
      }
    });
  }

  get count(): number {
    return this.entries.size;
  }

  private async remove(key: string): Promise<void> {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    e.removed = true;
    e.subject.complete();
    await this.vmi.writePA(e.pa, Uint8Array.of(e.original));
    if (this.opts.stealth) await this.hide(e.pa >> 12n, -1);
  }

  /** Count a stealth breakpoint in or out of its frame; the frame is execute-only while it has any. */
  private async hide(gfn: bigint, delta: number): Promise<void> {
    const n = (this.hidden.get(gfn) ?? 0) + delta;
    if (n > 0) this.hidden.set(gfn, n); else this.hidden.delete(gfn);
    if (n === 1 && delta > 0) await this.vmi.setPageAccess([{ gfn, read: false, write: false, execute: true }]);
    if (n === 0) await this.vmi.setPageAccess([{ gfn, read: true, write: true, execute: true }]);
  }

  private onEvent(e: VmiEvent): boolean {
    if (e.reason === 'singleStep') {
      const waiting = this.stepping.get(e.vcpu);
      if (!waiting) return false;
      this.stepping.delete(e.vcpu);
      waiting(e);
      return true;
    }
    if (e.reason === 'memAccess') {
      if (!e.sync || !this.hidden.has(e.data.gfn)) return false;
      this.queue = this.queue.then(() => this.unveil(e)).catch(() => {});
      return true;
    }
    if (e.reason !== 'softwareBreakpoint' || !e.sync) return false;
    // Kernel breakpoints match in any address space; others in the one they were set in.
    const entry = this.entries.get(keyOf(e.data.gla, undefined)) ?? this.entries.get(keyOf(e.data.gla, e.regs.cr3));
    if (!entry) { this.stats.foreign++; return false; }
    entry.hits++;
    const held = entry.hold?.(e).catch(() => {}) ?? Promise.resolve(); // before hits$: subscribers may need what it started
    entry.subject.next(e);
    this.queue = this.queue.then(() => held).then(() => this.stepOver(e, entry)).catch(() => {});
    return true;
  }

  private async stepOver(e: VmiEvent<'softwareBreakpoint'>, entry: Entry): Promise<void> {
    if (entry.removed) return e.drop(); // the original instruction is back: run it
    if (await this.withOriginals(e.vcpu, [entry], (flags) => e.drop(flags))) this.stats.stepOvers++;
  }

  /**
   * A stealth breakpoint's frame was read (or written): the instruction runs once with the
   * original bytes of that frame's breakpoints in place, past the execute-only permission,
   * and sees what the guest wrote there; the int3s go back after it.
   */
  private async unveil(e: VmiEvent<'memAccess'>): Promise<void> {
    const entries = [...this.entries.values()].filter((x) => x.pa >> 12n === e.data.gfn);
    if (entries.length === 0) return e.reinject({ emulate: true });
    if (await this.withOriginals(e.vcpu, entries, (flags) => e.reinject({ ...flags, emulate: true }))) this.stats.unveiled++;
  }

  /**
   * Run one instruction of `vcpu` with the original bytes of `entries` in place and the
   * other vCPUs paused: `release` answers the event the vCPU waits on, with single-stepping
   * turned on; at the step the int3s go back (over whatever the instruction left there, which
   * becomes the new original) and stepping goes off. False when removeAll called it off.
   */
  private async withOriginals(vcpu: number, entries: Entry[], release: (flags: { toggleSingleStep: true }) => Promise<void>): Promise<boolean> {
    const letGo = await this.vmi.holdOthers(vcpu);
    try {
      for (const x of entries) await this.vmi.writePA(x.pa, Uint8Array.of(x.original));
      const stepped = new Promise<VmiEvent<'singleStep'> | undefined>((resolve) => this.stepping.set(vcpu, resolve));
      await release({ toggleSingleStep: true });
      const step = await stepped;
      if (!step) return false;
      for (const x of entries) {
        if (x.removed) continue;
        x.original = (await this.vmi.readPA(x.pa, 1))[0]!;
        await this.vmi.writePA(x.pa, Uint8Array.of(INT3));
      }
      await step.reinject({ toggleSingleStep: true });
      return true;
    } finally {
      await letGo();
    }
  }
}

/** Run cleanup against the domain; a domain that has gone away has nothing left to clean. */
async function untilGone(cleanup: () => Promise<void>): Promise<void> {
  try {
    await cleanup();
  } catch (e) {
    if (!(e instanceof UnknownDomainError || e instanceof ConnectionLostError)) throw e;
  }
}

const keyOf = (va: bigint, dtb: bigint | undefined): string => (dtb === undefined ? `k:${va}` : `${dtb}:${va}`);
