/**
 * The hypervisor side of introspection for one domain: Xen's monitor plus
 * vm_event. It turns the vCPUs' exits into events for the enabled reasons,
 * holds sync events (and their vCPUs) in the bounded ring until exactly one
 * valid reply arrives, and applies replies: drop, reinject, pause, plus
 * toggle single-step, set registers, emulate and step permissions. One controller at a time; observers
 * get copies of everything and cannot reply.
 */
import { GuestFault } from '../hypervisor/cpu/fault.js';
import { readMsr } from '../hypervisor/cpu/msr.js';
import type { VmExit } from '../hypervisor/vcpu/exit.js';
import { unmonitoredAction, type ExitAction, type Vcpu } from '../hypervisor/vcpu/vcpu.js';
import type { Domain } from '../hypervisor/vm/domain.js';
import { applyConfig, type ConfigOptions, type MonitorConfig } from './config.js';
import { MonitorError, MonitorErrorCode } from './errors.js';
import { EventFlag, INVALID_GFN, Reason, reasonOfExit, snapshot, u64, type MonitorEvent } from './event.js';
import { writeRegisters, type RegisterWrite } from './register-write.js';
import { LatencyHistogram } from './latency.js';
import { EventRing } from './ring.js';

/** A controller's answer to a sync event (Xen's vm_event_response_t). */
export interface Reply {
  seq: bigint;
  /** Required: a reply that says neither is refused, as libvmi refuses it. */
  action?: 'drop' | 'reinject';
  /** Keep the vCPU paused after applying the reply, until an explicit resume. */
  pause?: boolean;
  toggleSingleStep?: boolean;
  /** Registers to write before the vCPU resumes (e.g. to skip a CPUID with results). */
  setRegisters?: RegisterWrite;
  /**
   * For a mem-access event: run the instruction once past the page permissions (Xen's
   * VM_EVENT_FLAG_EMULATE). That is what `reinject` does to a mem-access event anyway;
   * the flag says so explicitly, and contradicts `drop`.
   */
  emulate?: boolean;
  /** Frame permissions for the vCPU's next instruction only (PageAccess bits by gfn), then the domain's again. */
  stepPermissions?: ReadonlyMap<number, number>;
}

export type Role = 'controller' | 'observer';
export type EventSink = (e: MonitorEvent) => void;

export interface Session {
  readonly role: Role;
  reply(r: Reply): void;
  detach(): void;
}

export interface MonitorOptions {
  /** Ring slots (default 64). */
  slots?: number;
  /**
   * When sync events have waited this long with no controller attached, answer them
   * with `defaultAction` rather than keep their vCPUs paused until one attaches (the
   * default). The clock starts at the first such event.
   */
  noControllerTimeoutMs?: number;
  defaultAction?: 'drop' | 'reinject';
  /** Told of every event answered by the timeout (it is also counted in counters.defaulted). */
  onDefaultAction?: (e: MonitorEvent, action: 'drop' | 'reinject') => void;
}

/** Async events between turns of the event loop: bounds what a transport must buffer. */
export const ASYNC_EVENTS_PER_YIELD = 256;

const isSync = (e: MonitorEvent): boolean => (e.flags & EventFlag.VCPU_PAUSED) !== 0;

export class Monitor {
  readonly ring: EventRing;
  private config: MonitorConfig = {};
  private seq = 0n;
  private controller: EventSink | undefined;
  private readonly observers = new Set<EventSink>();
  /** Events by reason, refused replies by code, applied replies by action, reply latency. */
  readonly counters = {
    events: new Map<Reason, number>(),
    refused: new Map<MonitorErrorCode, number>(),
    /** Controller replies applied, by action. */
    replies: new Map<'drop' | 'reinject', number>(),
    /** From handing a sync event to the controller to applying its reply (µs). */
    replyLatency: new LatencyHistogram(),
    /** Breakpoint events dropped before delivery because their breakpoint was removed. */
    discarded: 0,
    /** Sync events let go as if unmonitored because their reason was disabled while they waited. */
    released: 0,
    /** Events answered by the no-controller timeout. */
    defaulted: 0,
  };
  private timer: NodeJS.Timeout | undefined;
  private asyncSinceYield = 0;
  /**
   * When each outstanding sync event was last handed to a controller (hrtime ns), for the
   * reply latency: at most the ring's capacity of entries, since only outstanding events
   * have one.
   */
  private readonly handedAt = new Map<bigint, bigint>();
  /** Pauses clients asked for, per vCPU (a reply's pause flag, pause requests); resume() undoes them. */
  private readonly held: number[];
  /** Events raised, per vCPU. */
  readonly eventsByVcpu: number[];

  constructor(readonly domain: Domain, private readonly opts: MonitorOptions = {}) {
    this.ring = new EventRing(opts.slots ?? 64);
    this.held = domain.vcpus.map(() => 0);
    this.eventsByVcpu = domain.vcpus.map(() => 0);
    if (opts.noControllerTimeoutMs !== undefined && opts.defaultAction === undefined) throw new RangeError('noControllerTimeoutMs needs a defaultAction');
    for (const v of domain.vcpus) v.exitHandler = (exit) => this.onExit(v, exit);
  }

  /** The sequence number of the latest event raised (0 before the first). */
  get lastSeq(): bigint {
    return this.seq;
  }

  /** A copy of the reasons enabled now. */
  currentConfig(): MonitorConfig {
    return { ...this.config };
  }

  /**
   * Set the reasons. Sync events of a reason that is no longer enabled, waiting in the ring
   * or for their reply, are let go as if unmonitored, as Xen unpauses the vCPUs a monitor
   * stops listening for: a client that disables what it enabled before it detaches leaves
   * no vCPU waiting for nobody.
   */
  configure(config: MonitorConfig, opts: ConfigOptions = {}): void {
    this.config = { ...config };
    for (const v of this.domain.vcpus) applyConfig(v, this.config, opts);
    // Each event let go frees a slot for one that waited for it, which may be of a reason
    // gone too: go on until none is left, then hand what remains to the controller.
    for (;;) {
      const gone = [...this.ring.queuedEvents(), ...this.ring.outstanding.values()].filter((e) => isSync(e) && this.config[e.reason] === undefined);
      if (gone.length === 0) break;
      for (const e of gone) this.retire(e, this.letGo(e), () => this.counters.released++);
    }
    queueMicrotask(() => this.pump());
  }

  attach(role: Role, sink: EventSink): Session {
    if (role === 'controller') {
      if (this.controller) throw new MonitorError(MonitorErrorCode.BUSY, `domain ${this.domain.name} already has a controller`);
      this.controller = sink;
      clearTimeout(this.timer);
      this.timer = undefined;
      queueMicrotask(() => this.pump());
    } else {
      this.observers.add(sink);
    }
    let attached = true;
    return {
      role,
      reply: (r) => {
        if (!attached || role !== 'controller') this.refuse(MonitorErrorCode.NOT_CONTROLLER, 'only the attached controller may reply');
        this.reply(r);
      },
      detach: () => {
        if (!attached) return;
        attached = false;
        if (role === 'observer') { this.observers.delete(sink); return; }
        // Paused vCPUs stay paused; their events go to the next controller.
        this.controller = undefined;
        for (const e of this.ring.requeueOutstanding()) e.flags |= EventFlag.REDELIVERED;
        this.armTimeout();
      },
    };
  }

  private onExit(v: Vcpu, exit: VmExit): ExitAction {
    const reason = reasonOfExit(exit);
    const cfg = reason === undefined ? undefined : this.config[reason];
    const unmonitored = unmonitoredAction(exit);
    if (reason === undefined || cfg === undefined) return unmonitored;
    if (exit.msr && cfg.indexes && !cfg.indexes.includes(exit.msr.index >>> 0)) return unmonitored;
    const before = valueBefore(v, exit);
    if (cfg.onChangeOnly && before !== undefined && before === valueWritten(exit)) return unmonitored;
    const event: MonitorEvent = {
      domain: this.domain.name, vcpu: v.id, seq: ++this.seq, reason,
      flags: (cfg.sync ? EventFlag.VCPU_PAUSED : 0) | (exit.emulated ? EventFlag.EMULATED : 0),
      guestTime: BigInt(exit.icount), hostTime: process.hrtime.bigint(), regs: snapshot(v.cpu), exit,
      ...(before !== undefined ? { oldValue: before } : {}),
      ...(AT_RIP.has(reason) ? { codeGfn: codeGfn(v) } : {}),
    };
    this.counters.events.set(reason, (this.counters.events.get(reason) ?? 0) + 1);
    this.eventsByVcpu[v.id]!++;
    for (const o of this.observers) o(event);
    if (!cfg.sync) {
      this.controller?.(event);
      // Async events do not stop the guest, so nothing else would let a transport flush them.
      if (++this.asyncSinceYield >= ASYNC_EVENTS_PER_YIELD) { this.asyncSinceYield = 0; this.domain.yieldSoon(); }
      return unmonitored;
    }
    this.ring.put(event); // when full, the event waits in the ring with its vCPU paused
    queueMicrotask(() => this.pump());
    this.armTimeout();
    return 'pending';
  }

  /**
   * Hand queued events to the controller, except breakpoint events whose breakpoint was
   * removed while they were queued: those are discarded and their vCPUs retry the
   * instruction now at that address, as bhyve's gdb stub does (seed 001) — a client that
   * pauses, drains and then removes a breakpoint gets no stale events afterwards.
   */
  private pump(): void {
    for (;;) {
      const batch = this.controller ? this.ring.take(isSync) : [];
      if (batch.length === 0) return;
      for (const e of batch) {
        if (!this.controller) break; // it detached in the middle: the rest was requeued for the next
        if (this.config[e.reason] === undefined) this.retire(e, this.letGo(e), () => this.counters.released++); // admitted after its reason went
        else if (this.breakpointGone(e)) this.retire(e, 'drop', () => this.counters.discarded++);
        else {
          if (isSync(e)) this.handedAt.set(e.seq, process.hrtime.bigint()); // a redelivery restarts the clock
          this.controller(e);
        }
      }
    }
  }

  /** How an event nobody will answer goes: as if unmonitored, except a hit whose int3 is gone, which retries the instruction. */
  private letGo(e: MonitorEvent): Exclude<ExitAction, 'pending'> {
    return this.breakpointGone(e) ? 'drop' : unmonitoredAction(e.exit);
  }

  private breakpointGone(e: MonitorEvent): boolean {
    if (e.reason !== Reason.SOFTWARE_BREAKPOINT) return false;
    const bytes = this.domain.vcpus[e.vcpu]!.cpu.mmu.peek(e.exit.rip, e.exit.instructionLength, Number(e.regs.cr3));
    if (!bytes) return true;
    return e.exit.instructionLength === 1 ? bytes[0] !== 0xcc : !(bytes[0] === 0xcd && bytes[1] === 0x03);
  }

  /** Answer an event on the hypervisor's own behalf (a dropped breakpoint is retried at the same RIP). */
  private retire(e: MonitorEvent, action: Exclude<ExitAction, 'pending'>, count: () => void): void {
    this.ring.remove(e.seq);
    this.handedAt.delete(e.seq);
    this.domain.vcpus[e.vcpu]!.resolveExit(action);
    count();
    this.domain.kick();
  }

  private armTimeout(): void {
    const ms = this.opts.noControllerTimeoutMs;
    if (ms === undefined || this.controller || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.controller) return;
      const action = this.opts.defaultAction!;
      for (const e of this.ring.take(isSync)) {
        this.retire(e, action, () => this.counters.defaulted++);
        this.opts.onDefaultAction?.(e, action);
      }
      if (this.ring.queuedEvents().length > 0) this.armTimeout(); // events admitted from a full ring
    }, ms);
    this.timer.unref(); // a paused domain with nobody attached must not keep the process alive
  }

  /** Pause one vCPU, or the whole domain, until resume() (Xen's vcpu_pause / domain_pause for a client). */
  pause(vcpu?: number): void {
    if (vcpu === undefined) { this.domain.pause(); return; }
    this.vcpu(vcpu).pauseCount++;
    this.held[vcpu]!++;
  }

  /** Undo one pause() of that vCPU or of the domain; refused if there is none to undo. */
  resume(vcpu?: number): void {
    if (vcpu === undefined) {
      if (this.domain.pauseCount === 0) throw new MonitorError(MonitorErrorCode.INVALID_ARGUMENT, `domain ${this.domain.name} is not paused`);
      this.domain.unpause();
    } else {
      const v = this.vcpu(vcpu);
      if (this.held[vcpu] === 0) throw new MonitorError(MonitorErrorCode.INVALID_ARGUMENT, `vCPU ${vcpu} is not paused by a client`);
      this.held[vcpu]!--;
      v.pauseCount--;
    }
    this.domain.kick();
  }

  /**
   * Set frames' page permissions (PageAccess bits; rwx lifts the restriction), Xen's
   * xc_set_mem_access: every frame is checked before any changes.
   */
  setPageAccess(pages: ReadonlyMap<number, number>): void {
    const outside = this.frameOutside(pages.keys());
    if (outside) throw new MonitorError(MonitorErrorCode.OUT_OF_RANGE, outside);
    for (const [gfn, access] of pages) this.domain.setPageAccess(gfn, access);
  }

  /** Why the first of these frames is not guest RAM, if one is not. */
  private frameOutside(gfns: Iterable<number>): string | undefined {
    const frames = this.domain.mem.pages;
    for (const gfn of gfns) {
      if (!Number.isInteger(gfn) || gfn < 0 || gfn >= frames) return `frame 0x${gfn.toString(16)} is outside guest memory (${frames} frames)`;
    }
    return undefined;
  }

  /** The vCPU by index, or a typed refusal. */
  vcpu(index: number): Vcpu {
    const v = this.domain.vcpus[index];
    if (!v) throw new MonitorError(MonitorErrorCode.UNKNOWN_VCPU, `domain ${this.domain.name} has no vCPU ${index} (it has ${this.domain.vcpus.length})`);
    return v;
  }

  /** Count a refusal, including one a transport made before the reply reached the monitor (it could not decode it). */
  countRefused(code: MonitorErrorCode): void {
    this.counters.refused.set(code, (this.counters.refused.get(code) ?? 0) + 1);
  }

  private refuse(code: MonitorErrorCode, message: string): never {
    this.countRefused(code);
    throw new MonitorError(code, message);
  }

  private countReply(seq: bigint, action: 'drop' | 'reinject'): void {
    this.counters.replies.set(action, (this.counters.replies.get(action) ?? 0) + 1);
    const handed = this.handedAt.get(seq);
    this.handedAt.delete(seq);
    if (handed !== undefined) this.counters.replyLatency.observe(Number(process.hrtime.bigint() - handed) / 1_000);
  }

  private reply(r: Reply): void {
    const e = this.ring.find(r.seq);
    if (!e || !isSync(e)) {
      if (r.seq > this.seq || r.seq <= 0n) this.refuse(MonitorErrorCode.UNKNOWN_EVENT, `no event ${r.seq} in domain ${this.domain.name}`);
      this.refuse(MonitorErrorCode.ALREADY_ANSWERED, `event ${r.seq} was already answered or is not waiting for a reply`);
    }
    if (r.action !== 'drop' && r.action !== 'reinject') this.refuse(MonitorErrorCode.INVALID_REPLY, `the reply to event ${r.seq} says neither drop nor reinject`);
    if (r.emulate && e.reason !== Reason.MEM_ACCESS) this.refuse(MonitorErrorCode.INVALID_REPLY, `emulate applies to mem-access events; event ${r.seq} is ${e.reason}`);
    if (r.emulate && r.action === 'drop') this.refuse(MonitorErrorCode.INVALID_REPLY, `the reply to event ${r.seq} says both emulate and drop`);
    const outside = this.frameOutside(r.stepPermissions?.keys() ?? []);
    if (outside) this.refuse(MonitorErrorCode.OUT_OF_RANGE, `the step permissions of the reply to event ${r.seq}: ${outside}`);
    const v = this.domain.vcpus[e.vcpu]!;
    if (r.setRegisters) {
      try {
        writeRegisters(v, r.setRegisters); // validates everything before writing anything
      } catch (err) {
        if (err instanceof MonitorError) this.countRefused(err.code);
        throw err;
      }
    }
    if (r.toggleSingleStep) v.setSingleStep(!v.singleStepping);
    if (r.stepPermissions) v.stepWithPageAccess(r.stepPermissions);
    v.resolveExit(r.action); // a reinjected mem-access opens every frame for the instruction instead
    if (r.pause) this.pause(e.vcpu);
    this.countReply(r.seq, r.action);
    this.ring.remove(r.seq);
    this.pump();
    this.domain.kick();
  }
}

/** Reasons whose event names the frame of the instruction at RIP. */
const AT_RIP: ReadonlySet<Reason> = new Set([Reason.SOFTWARE_BREAKPOINT, Reason.SINGLESTEP, Reason.DEBUG_EXCEPTION]);

/** The guest frame of the vCPU's RIP, looked up without side effects (no A/D bits, no fault). */
function codeGfn(v: Vcpu): bigint {
  const pa = v.cpu.mmu.peekTranslate(v.cpu.rip);
  return pa < 0 ? INVALID_GFN : BigInt(Math.floor(pa / 4096));
}

/**
 * The register's value before an intercepted CR or MSR write: the exit comes before the
 * write, so the vCPU still holds it. Undefined for other exits, and for an MSR the vCPU
 * does not have (RDMSR would #GP; so will the WRMSR).
 */
function valueBefore(v: Vcpu, exit: VmExit): bigint | undefined {
  const c = v.cpu;
  if (exit.cr) {
    const i = exit.cr.index;
    return u64(i === 0 ? c.cr0 : i === 3 ? c.cr3 : i === 4 ? c.cr4 : i === 2 ? c.cr2 : c.cr8);
  }
  if (!exit.msr) return undefined;
  try {
    return pair(readMsr(c, exit.msr.index));
  } catch (e) {
    if (e instanceof GuestFault) return undefined;
    throw e;
  }
}

/** The value a CR or MSR write stores. */
const valueWritten = (exit: VmExit): bigint | undefined => (exit.cr ? u64(exit.cr.value) : exit.msr ? pair(exit.msr.value) : undefined);

const pair = ([lo, hi]: readonly [number, number]): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
