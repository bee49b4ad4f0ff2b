/**
 * A session with one domain: libvmi's `vmi_instance_t`, with events as RxJS
 * Observables. It talks to the domain only through a DomainLink — embedded
 * (LocalLink) or NATS (NatsLink) — never through hypervisor internals.
 *
 * ```ts
 * const vmi = await Vmi.attach(link, { profile });
 * vmi.on('softwareBreakpoint').subscribe((e) => void e.reinject());
 * await vmi.monitor({ softwareBreakpoint: { sync: true } });
 * ```
 *
 * Replies are never forgotten: a sync event nobody subscribes to, or whose
 * `handle()` handler throws or returns without answering, is answered per the
 * session's `onUnanswered` policy (reinject by default), and a handler's error
 * is surfaced on the stream `handle()` returns.
 */
import { defer, from, mergeMap, Observable, share, Subject, switchMap } from 'rxjs';
import { Vendor, type EventType, type PageAccess } from '../generated/tsvmi/v1/common.js';
import {
  DomainInfoReply, DomainInfoRequest, GetRegistersReply, GetRegistersRequest, GetTraceReply, GetTraceRequest, InjectRequest, PauseRequest, ResumeRequest,
  SetMonitorConfigRequest, SetPagePermissionsRequest, SetRegistersRequest, SetSingleStepRequest, StatusReply, type TraceEntry,
} from '../generated/tsvmi/v1/control.js';
import type { MonitorEvent } from '../generated/tsvmi/v1/event.js';
import { RegisterUpdate, type Registers } from '../generated/tsvmi/v1/registers.js';
import { Action } from '../generated/tsvmi/v1/reply.js';
import type { Controller, DomainLink } from '../monitor/link.js';
import { ConnectionLostError, typed, vmiError, VmiError } from './errors.js';
import { isSync, type ReasonName, type ReplyFlags, type VmiEvent } from './event.js';
import { GuestMemory, pieces, u64 } from './memory.js';
import { ofReason } from './operators/of-reason.js';
import { listProcesses, type Process } from './os/processes.js';
import type { Profile } from './os/profile.js';
import { WIRE_REASON } from './reasons.js';

export interface AttachOptions {
  /** The one controller (default), which answers sync events, or an observer, which gets copies. */
  role?: 'controller' | 'observer';
  /** The answer to a sync event nobody answered (no subscriber, a handler that threw or forgot): default reinject. */
  onUnanswered?: 'reinject' | 'drop';
  /** The guest OS's profile, for symbols, processes and system calls. */
  profile?: Profile;
  /** Told when the controller session is lost (its lease lapsed, the connection died). */
  onLost?: (e: ConnectionLostError) => void;
}

/** Whose address space a virtual address is in: the kernel's, a process's by pid, or a page-table root. */
export type AddressSpace = 'kernel' | { pid: number } | { dtb: bigint };

/** Monitoring of one reason, as `monitor()` takes it. */
export interface ReasonSettings { sync: boolean; onChangeOnly?: boolean; indexes?: number[] }

/** A handled event, and the error its handler threw, if it did. */
export interface Handled { event: VmiEvent; error?: unknown }

/** First look at events, before the streams: returns true when it takes the event (and its reply). */
export type Claim = (e: VmiEvent) => boolean;

/**
 * An event for `inject()`, Xen's xc_hvm_inject_trap(vector, type, error_code, insn_len, cr2):
 * an NMI is `{ vector: 2, type: EventType.EVENT_TYPE_NMI }`, a page fault
 * `{ vector: 14, type: EventType.EVENT_TYPE_HW_EXCEPTION, errorCode, cr2 }`.
 */
export interface Injection {
  vector: number;
  type: EventType;
  /** Exactly for the hardware exceptions that push one (#DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP). */
  errorCode?: number;
  /** For software events (INT n, INT3, ICEBP): the instruction's length (1-15), so the pushed RIP is past it. */
  instructionLength?: number;
  /** Written to CR2 with the event, for a #PF. */
  cr2?: bigint;
}

/** Which trace entries `traceLog()` returns. */
export interface TraceQuery {
  /** One vCPU's log; without it, every vCPU's. */
  vcpu?: number;
  /** The newest this many (at most 8192); without it, as many as one reply holds (8192). */
  limit?: number;
}

const VENDOR = { [Vendor.VENDOR_INTEL]: 'intel', [Vendor.VENDOR_AMD]: 'amd' } as Partial<Record<Vendor, 'intel' | 'amd'>>;

export class Vmi {
  readonly memory: GuestMemory;
  /** Every event, as it arrives (hot: subscribe before enabling reasons). */
  readonly events$: Observable<VmiEvent>;
  private readonly subject = new Subject<VmiEvent>();
  private readonly claims: Claim[] = [];
  private controller: Controller | undefined;
  private held = 0;
  private kernelDtbCache: bigint | undefined;
  private processCache: Process[] | undefined;
  private closed = false;

  /** The domain's vCPUs, 0 to info.vcpus - 1. */
  readonly vcpuIds: readonly number[];

  private constructor(
    readonly link: DomainLink,
    readonly info: { vcpus: number; memoryBytes: bigint; vendor: 'intel' | 'amd' | undefined },
    private readonly opts: AttachOptions,
  ) {
    this.vcpuIds = Array.from({ length: info.vcpus }, (_, v) => v);
    this.memory = new GuestMemory(link, () => this.held > 0);
    this.events$ = opts.role === 'observer'
      // An observer's transport subscription lives exactly as long as someone subscribes.
      ? defer(() => from(link.observe((m) => this.deliver(m)))).pipe(
        switchMap((sub) => new Observable<VmiEvent>((o) => { const s = this.subject.subscribe(o); return () => { s.unsubscribe(); void sub.stop(); }; })),
        share())
      : this.subject.asObservable();
  }

  /** Attach to the domain behind `link`; rejects with UnknownDomainError, BusyError or ConnectionLostError. */
  static async attach(link: DomainLink, opts: AttachOptions = {}): Promise<Vmi> {
    const info = await typed(link.request('info', DomainInfoRequest, DomainInfoReply, {}));
    const vmi = new Vmi(link, { vcpus: info.vcpus, memoryBytes: info.memoryBytes, vendor: VENDOR[info.vendor] }, opts);
    if ((opts.role ?? 'controller') === 'controller') {
      vmi.controller = await typed(link.control((m) => vmi.deliver(m), {
        onLost: (e) => { const lost = vmiError(e); opts.onLost?.(lost instanceof ConnectionLostError ? lost : new ConnectionLostError(e.message, e.code, { cause: e })); },
      }));
    }
    return vmi;
  }

  get profile(): Profile | undefined {
    return this.opts.profile;
  }

  /** Events of one reason (or several), typed by it. */
  on<R extends ReasonName>(...reasons: R[]): Observable<VmiEvent<R>> {
    return this.events$.pipe(ofReason(...reasons));
  }

  /**
   * Run `handler` for each event (of `reasons`, or all), one at a time per call order of
   * arrival; a sync event it leaves unanswered, or whose handler throws, is answered per
   * the session's policy, and the error comes out on the returned stream, which goes on.
   */
  handle(handler: (e: VmiEvent) => void | Promise<void>, reasons?: ReasonName[]): Observable<Handled> {
    const source = reasons ? this.on(...reasons) as Observable<VmiEvent> : this.events$;
    return source.pipe(mergeMap(async (event) => {
      let error: unknown;
      try {
        await handler(event);
      } catch (e) {
        error = e;
      }
      if (event.sync && !event.answered) await this.answerByPolicy(event);
      return error === undefined ? { event } : { event, error };
    }));
  }

  /** Let a component (breakpoints, stepping) take matching events before the streams see them. */
  claim(c: Claim): () => void {
    this.claims.push(c);
    return () => { const k = this.claims.indexOf(c); if (k >= 0) this.claims.splice(k, 1); };
  }

  private deliver(m: MonitorEvent): void {
    if (this.held === 0) this.memory.flush(); // a vCPU ran: nothing cached may be trusted
    this.processCache = undefined;
    const e = this.wrap(m);
    for (const c of this.claims) if (c(e)) return;
    this.subject.next(e);
    if (e.sync && !e.answered && !this.subject.observed) void this.answerByPolicy(e);
  }

  private answerByPolicy(e: VmiEvent): Promise<void> {
    return (this.opts.onUnanswered === 'drop' ? e.drop() : e.reinject()).catch(() => {});
  }

  private wrap(m: MonitorEvent): VmiEvent {
    const reason = m.reason!;
    let answered = false;
    const answer = async (action: Action, flags: ReplyFlags = {}): Promise<void> => {
      if (!isSync(m)) throw new VmiError(`event ${m.seq} is async: it needs no reply`);
      if (answered) throw new VmiError(`event ${m.seq} was already answered`);
      if (!this.controller) throw new VmiError('only the controller answers events');
      answered = true;
      const { setRegisters, ...rest } = flags;
      await typed(this.controller.reply({ seq: m.seq, action, ...rest, ...(setRegisters ? { setRegisters: RegisterUpdate.fromPartial(setRegisters) } : {}) }));
    };
    return {
      domain: m.domain, vcpu: m.vcpu, seq: m.seq, reason: reason.$case, data: reason.value, sync: isSync(m), regs: m.regs!, raw: m,
      get answered() { return answered; },
      drop: (flags) => answer(Action.ACTION_DROP, flags),
      reinject: (flags) => answer(Action.ACTION_REINJECT, flags),
      pause: (flags) => answer(Action.ACTION_REINJECT, { ...flags, pause: true }),
    } as VmiEvent;
  }

  // ---- monitoring ------------------------------------------------------------------------

  /** Enable (settings) or disable (null) reasons; reasons not named keep theirs. */
  async monitor(reasons: Partial<Record<ReasonName, ReasonSettings | null>>, opts: { includeEmulated?: boolean } = {}): Promise<void> {
    const list = Object.entries(reasons).map(([name, s]) => ({
      reason: WIRE_REASON[name as ReasonName], enabled: s !== null && s !== undefined, sync: s?.sync ?? false,
      onChangeOnly: s?.onChangeOnly ?? false, indexes: s?.indexes ?? [],
    }));
    await typed(this.link.request('control.set-monitor-config', SetMonitorConfigRequest, StatusReply, { config: { reasons: list, includeEmulated: opts.includeEmulated ?? false } }));
  }

  /** r/w/x for guest frames (Xen's xc_set_mem_access); forbidden accesses become memAccess events. */
  async setPageAccess(pages: Array<Omit<PageAccess, 'gfn'> & { gfn: bigint | number }>): Promise<void> {
    await typed(this.link.request('control.set-page-permissions', SetPagePermissionsRequest, StatusReply, { pages: pages.map((p) => ({ ...p, gfn: BigInt(p.gfn) })) }));
  }

  // ---- execution -------------------------------------------------------------------------

  /** Pause the domain, or one vCPU. While this session holds the domain paused, memory reads are cached. */
  async pause(vcpu?: number): Promise<void> {
    await typed(this.link.request('control.pause', PauseRequest, StatusReply, vcpu === undefined ? {} : { vcpu }));
    if (vcpu === undefined) this.held++;
  }

  async resume(vcpu?: number): Promise<void> {
    if (vcpu === undefined && this.held > 0) { this.held--; if (this.held === 0) this.memory.flush(); }
    this.processCache = undefined;
    await typed(this.link.request('control.resume', ResumeRequest, StatusReply, vcpu === undefined ? {} : { vcpu }));
  }

  /**
   * Pause every vCPU but `vcpu` (the requests in flight together: one round trip, not one
   * each), so that it alone may run; resolves to what lets them go again.
   */
  async holdOthers(vcpu: number): Promise<() => Promise<void>> {
    const others = this.vcpuIds.filter((v) => v !== vcpu);
    await Promise.all(others.map((v) => this.pause(v)));
    return async () => { await Promise.all(others.map((v) => this.resume(v))); };
  }

  /**
   * Single-step one vCPU `n` instructions (libvmi's vmi_step_event) and return the RIPs it
   * stepped to. Needs single-step events enabled (sync), which this turns on.
   */
  async step(vcpu: number, n = 1): Promise<bigint[]> {
    if (!this.controller) throw new VmiError('only the controller steps a vCPU');
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`step needs a positive count, got ${n}`);
    await this.monitor({ singleStep: { sync: true } });
    const rips: bigint[] = [];
    const done = new Promise<bigint[]>((resolve, reject) => {
      const release = this.claim((e) => {
        if (e.reason !== 'singleStep' || e.vcpu !== vcpu) return false;
        rips.push(e.regs.rip);
        const last = rips.length === n;
        if (last) release();
        e.reinject(last ? { toggleSingleStep: true } : {}).then(() => { if (last) resolve(rips); }, reject);
        return true;
      });
    });
    await this.setSingleStep(vcpu, true);
    return done;
  }

  /**
   * Queue an event for the vCPU's next entry (Xen's xc_hvm_inject_trap): it is delivered
   * through the guest's IDT before the vCPU runs another instruction, at once if it is
   * running or halted, on resume if it is paused. Like a VM-entry injection it bypasses
   * the guest's blocking (IF, NMI blocking). Refused (RefusedError) while the vCPU has
   * an event queued already or waits for the answer to an exception event (answer it
   * first), and for a vCPU not started yet or crashed.
   */
  async inject(vcpu: number, event: Injection): Promise<void> {
    const { errorCode, instructionLength, cr2, ...rest } = event;
    await typed(this.link.request('control.inject', InjectRequest, StatusReply, {
      vcpu, ...rest, instructionLength: instructionLength ?? 0,
      ...(errorCode !== undefined ? { errorCode } : {}), ...(cr2 !== undefined ? { cr2 } : {}),
    }));
  }

  /** Single-step a vCPU from now on, or stop (each step is a singleStep event when that reason is enabled). */
  async setSingleStep(vcpu: number, enabled: boolean): Promise<void> {
    await typed(this.link.request('control.set-single-step', SetSingleStepRequest, StatusReply, { vcpu, enabled }));
  }

  // ---- state and statistics ------------------------------------------------------------------

  /**
   * The domain as it is now (Xen's xc_domain_getinfo; `info` is what attach saw): its
   * state, and per vCPU its state, retired instructions, VM exits by reason, monitor
   * events, and events injected; and in `monitor`, what only the monitor knows: events by
   * reason, the ring's occupancy and waits for a free slot, replies by action, refused
   * replies by code, events answered by the no-controller default action, and the reply
   * latency as a Prometheus-style histogram.
   */
  async status(): Promise<DomainInfoReply> {
    return typed(this.link.request('info', DomainInfoRequest, DomainInfoReply, {}));
  }

  /**
   * The vCPUs' trace logs (FreeBSD's ktrdump): exits, injections, NMIs and interrupts
   * delivered, oldest first by guest time (each vCPU's retired instructions), the
   * newest `limit` of them. Each vCPU keeps its newest 4096 entries.
   */
  async traceLog(query: TraceQuery = {}): Promise<TraceEntry[]> {
    const q = { limit: query.limit ?? 0, ...(query.vcpu !== undefined ? { vcpu: query.vcpu } : {}) };
    return (await typed(this.link.request('control.get-trace', GetTraceRequest, GetTraceReply, q))).entries;
  }

  // ---- registers -------------------------------------------------------------------------

  async getRegisters(vcpu: number): Promise<Registers> {
    return (await typed(this.link.request('control.get-registers', GetRegistersRequest, GetRegistersReply, { vcpu }))).registers!;
  }

  async setRegisters(vcpu: number, update: Partial<RegisterUpdate>): Promise<void> {
    await typed(this.link.request('control.set-registers', SetRegistersRequest, StatusReply, { vcpu, registers: RegisterUpdate.fromPartial(update) }));
  }

  // ---- memory ----------------------------------------------------------------------------

  readPA(pa: bigint, length: number): Promise<Uint8Array> { return this.memory.readPA(pa, length); }
  writePA(pa: bigint, data: Uint8Array): Promise<void> { return this.memory.writePA(pa, data); }

  async readVA(va: bigint, length: number, space: AddressSpace = 'kernel'): Promise<Uint8Array> {
    const dtb = await this.dtbOf(space);
    if (dtb !== 0n) return this.memory.readVA(va, length, dtb);
    const out = new Uint8Array(length); // no page tables yet: page by page through translateKV2P
    for (const [at, n, done] of pieces(va, length)) out.set(await this.readPA(await this.translateKV2P(at), n), done);
    return out;
  }

  async writeVA(va: bigint, data: Uint8Array, space: AddressSpace = 'kernel'): Promise<void> {
    const dtb = await this.dtbOf(space);
    if (dtb !== 0n) return this.memory.writeVA(va, data, dtb);
    for (const [at, n, done] of pieces(va, data.length)) await this.writePA(await this.translateKV2P(at), data.subarray(done, done + n));
  }

  async read8(va: bigint, space?: AddressSpace): Promise<number> { return (await this.readVA(va, 1, space))[0]!; }
  async read16(va: bigint, space?: AddressSpace): Promise<number> { const b = await this.readVA(va, 2, space); return b[0]! | (b[1]! << 8); }
  async read32(va: bigint, space?: AddressSpace): Promise<number> { const b = await this.readVA(va, 4, space); return new DataView(b.buffer, b.byteOffset).getUint32(0, true); }
  async read64(va: bigint, space?: AddressSpace): Promise<bigint> { return u64(await this.readVA(va, 8, space)); }

  /** A NUL-terminated string (latin-1), read page by page up to `max` bytes. */
  async readString(va: bigint, space?: AddressSpace, max = 4096): Promise<string> {
    let out = '';
    for (let at = va; out.length < max;) {
      const n = Math.min(max - out.length, 4096 - Number(BigInt.asUintN(64, at) % 4096n));
      const chunk = await this.readVA(at, n, space);
      const end = chunk.indexOf(0);
      out += Buffer.from(end >= 0 ? chunk.subarray(0, end) : chunk).toString('latin1');
      if (end >= 0) break;
      at += BigInt(n);
    }
    return out;
  }

  /** A kernel symbol's bytes (needs a profile). */
  readKsym(name: string, length: number): Promise<Uint8Array> {
    return this.readVA(this.symbol(name), length, 'kernel');
  }

  symbol(name: string): bigint {
    const va = this.profile?.symbols.get(name);
    if (va === undefined) throw new VmiError(this.profile ? `the profile has no symbol ${name}` : 'symbols need a profile (AttachOptions.profile)');
    return va;
  }

  /**
   * A kernel virtual address's physical one. Before the guest has page tables (a domain
   * started paused, CR3 still 0) there is no table to walk; then the profile's link-time
   * mapping of the kernel image (KERNEL_VMA + physical) answers for addresses inside the
   * image, so breakpoints can go in before the first instruction runs, and a guest without
   * paging has linear = physical.
   */
  async translateKV2P(va: bigint): Promise<bigint> {
    const dtb = await this.kernelDtb();
    if (dtb !== 0n) return this.memory.translate(dtb, va);
    const base = this.profile?.symbols.get('KERNEL_VMA'), start = this.profile?.symbols.get('__kernel_start'), end = this.profile?.symbols.get('__kernel_end');
    if (base !== undefined && start !== undefined && end !== undefined && va >= start && va < end) return va - base;
    // With paging off (CR0.PG clear) a linear address is the physical one (SDM Vol. 3A §4.1.1).
    const PG = 1n << 31n;
    if (((await this.getRegisters(0)).cr0 & PG) === 0n && va >= 0n && va < 1n << 32n) return va;
    throw new VmiError(`0x${va.toString(16)} has no translation yet: the guest has no page tables (CR3 is 0)`);
  }
  async translateUV2P(va: bigint, pid: number): Promise<bigint> { return this.memory.translate(await this.pidToDtb(pid), va); }

  /**
   * The kernel's page-table root: with a profile, the kernel's own (`kernel_pml4_pa`), which
   * outlives every process; without one, vCPU 0's current CR3 (the kernel half is shared).
   */
  async kernelDtb(): Promise<bigint> {
    if (this.kernelDtbCache !== undefined) return this.kernelDtbCache;
    const cr3 = (await this.getRegisters(0)).cr3;
    if (cr3 === 0n) return 0n; // no paging yet: nothing to cache
    const at = this.profile?.symbols.get('kernel_pml4_pa');
    const own = at === undefined ? 0n : u64(await this.memory.readVA(at, 8, cr3));
    if (own === 0n) return cr3; // not set up yet (early boot): the boot tables map the kernel too
    this.kernelDtbCache = own;
    return own;
  }

  // ---- the guest OS (needs a profile) --------------------------------------------------------

  /** The processes, walked from the task list (cached while this session holds the domain paused). */
  async processes(): Promise<Process[]> {
    if (this.processCache && this.held > 0) return this.processCache;
    if (!this.profile) throw new VmiError('processes need a profile (AttachOptions.profile)');
    const dtb = await this.kernelDtb();
    const list = await listProcesses((va, n) => this.memory.readVA(va, n, dtb), this.profile);
    if (this.held > 0) this.processCache = list;
    return list;
  }

  async pidToDtb(pid: number): Promise<bigint> {
    const p = (await this.processes()).find((x) => x.pid === pid);
    if (!p) throw new VmiError(`no process with pid ${pid}`);
    return p.dtb;
  }

  async dtbToPid(dtb: bigint): Promise<number | undefined> {
    return (await this.processes()).find((x) => x.dtb === dtb)?.pid;
  }

  private async dtbOf(space: AddressSpace): Promise<bigint> {
    if (space === 'kernel') return this.kernelDtb();
    return 'dtb' in space ? space.dtb : this.pidToDtb(space.pid);
  }

  // ---- end -----------------------------------------------------------------------------------

  /** Detach: the controller gives the domain up (its paused vCPUs stay paused for the next one). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subject.complete();
    if (this.controller) await typed(this.controller.detach()).catch(() => {});
  }
}

