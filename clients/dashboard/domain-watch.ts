/**
 * One domain as the dashboard sees it. An observer session takes a copy of
 * every event (so the dashboard never answers events, nor hides them from the
 * controller, whoever that is); each sampling tick asks the domain for its
 * state and statistics (`status()`) and the vCPUs' registers. With controller
 * rights the dashboard also holds the domain's one controller session, the
 * only one through which the page may pause and resume it; that session's
 * sync events nobody handles are answered by the SDK's policy (reinject), as
 * if unmonitored.
 */
import type { Subscription } from 'rxjs';
import type { DomainInfoReply } from '../../src/generated/tsvmi/v1/control.js';
import type { Registers } from '../../src/generated/tsvmi/v1/registers.js';
import { BusyError } from '../../src/introspect/errors.js';
import type { Vmi } from '../../src/introspect/vmi.js';
import { cpl, cpuMode } from '../../src/introspect/cpu-mode.js';
import type { ConsoleSource, DomainDirectory } from './directory.js';
import { EventTally, type BreakpointHits } from './event-tally.js';
import { LatencyWindow } from './latency-window.js';
import type { ChartPoint, ControlRight, DomainView, VcpuRow } from './snapshot.js';
import { DOMAIN_STATES, VCPU_STATES } from './state-names.js';
import { SymbolTable } from './symbols.js';

/** The page's pause/resume was refused by the dashboard (no controller session): HTTP 403. */
export class NotControllerError extends Error {
  override readonly name: string = 'NotControllerError';
}

/** The console tail the page gets. */
const CONSOLE_BYTES = 8 * 1024;
/** A domain that could not be reached is tried again after this long (ms). */
const RETRY_MS = 2_000;
const INT3 = 0xcc;
/** A breakpoint hit this recently may be mid step-over, its int3 out of memory for a moment. */
const STEP_OVER_MS = 2_000;

export class DomainWatch {
  private observer: Vmi | undefined;
  private controller: Vmi | undefined;
  private right: ControlRight;
  private sub: Subscription | undefined;
  private tally: EventTally;
  private readonly symbols: SymbolTable;
  private readonly latency = new LatencyWindow();
  private readonly console: ConsoleSource;
  private lastStatus: DomainInfoReply | undefined;
  private error = '';
  private nextTry = 0;
  /** Retired instructions per vCPU at recent ticks, for MIPS over about a second. */
  private readonly retired: { at: number; counts: bigint[] }[] = [];
  private registers: (Registers | undefined)[] = [];
  private registerError = '';
  private bytes = new Map<bigint, number | undefined>();
  private closed = false;

  constructor(readonly name: string, private readonly directory: DomainDirectory, private readonly wantsControl: boolean) {
    this.symbols = new SymbolTable(directory.profile);
    this.tally = new EventTally(this.symbols, Date.now());
    this.console = directory.console(name);
    this.right = wantsControl
      ? { allowed: false, why: 'not attached yet' }
      : { allowed: false, why: 'this dashboard has no controller rights (start it with --controller, or serveDashboard({ controller: true }))' };
  }

  /** The sessions the /metrics exporter reads (the observer's). */
  get vmi(): Vmi | undefined {
    return this.observer;
  }

  /** Attach the sessions, if not attached; a failure is shown on the page and tried again later. */
  private async ensureAttached(now: number): Promise<boolean> {
    if (this.observer) return true;
    if (now < this.nextTry) return false;
    this.nextTry = now + RETRY_MS;
    try {
      const profile = this.directory.profile;
      const vmi = await this.directory.attach(this.name, { role: 'observer', ...(profile ? { profile } : {}) });
      if (this.closed) { await vmi.close(); return false; }
      this.tally = new EventTally(this.symbols, now);
      this.sub = vmi.events$.subscribe({ next: (e) => this.tally.see(e, Date.now()), error: () => {} });
      this.observer = vmi;
      this.error = '';
    } catch (e) {
      this.error = `cannot attach: ${(e as Error).message}`;
      return false;
    }
    if (this.wantsControl) await this.takeControl();
    return true;
  }

  private async takeControl(): Promise<void> {
    const profile = this.directory.profile;
    try {
      this.controller = await this.directory.attach(this.name, {
        role: 'controller', ...(profile ? { profile } : {}),
        onLost: (e) => { this.controller = undefined; this.right = { allowed: false, why: `the controller session was lost: ${e.message}` }; },
      });
      this.right = { allowed: true, why: 'this dashboard is the domain\'s controller' };
    } catch (e) {
      const why = e instanceof BusyError ? 'another client (gdb, a tool) is the domain\'s controller' : (e as Error).message;
      this.right = { allowed: false, why: `not the controller: ${why}` };
    }
  }

  async pause(): Promise<void> {
    if (!this.controller) throw new NotControllerError(this.right.why);
    await this.controller.pause();
  }

  async resume(): Promise<void> {
    if (!this.controller) throw new NotControllerError(this.right.why);
    await this.controller.resume();
  }

  /** Ask the domain how it is, and make this tick's view of it. */
  async sample(now: number): Promise<DomainView> {
    if (await this.ensureAttached(now)) {
      const vmi = this.observer!;
      try {
        const status = await vmi.status();
        this.lastStatus = status;
        this.error = '';
        this.latency.push(now, status.monitor?.replyLatency);
        this.retired.push({ at: now, counts: status.vcpuStats.map((v) => v.retiredInstructions) });
        while (this.retired.length > 2 && this.retired[1]!.at <= now - 1_000) this.retired.shift();
        await Promise.all([this.readRegisters(vmi, status.vcpus), this.readBreakpointBytes(vmi)]);
      } catch (e) {
        this.error = `no answer: ${(e as Error).message}`;
      }
    }
    return this.view(now);
  }

  private async readRegisters(vmi: Vmi, n: number): Promise<void> {
    const got = await Promise.allSettled(Array.from({ length: n }, (_, v) => vmi.getRegisters(v)));
    this.registers = got.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    const failed = got.find((r) => r.status === 'rejected');
    this.registerError = failed ? `registers: ${(failed.reason as Error).message}` : '';
  }

  /** Whether each breakpoint seen still has its int3 in memory (few addresses, one byte each). */
  private async readBreakpointBytes(vmi: Vmi): Promise<void> {
    const list = [...this.tally.breakpoints.values()].slice(-32);
    const got = await Promise.allSettled(list.map((b) => vmi.read8(b.gla, b.dtb === undefined ? 'kernel' : { dtb: b.dtb })));
    this.bytes = new Map(list.map((b, k) => [b.gla, got[k]!.status === 'fulfilled' ? (got[k] as PromiseFulfilledResult<number>).value : undefined]));
  }

  private breakpointStatus(b: BreakpointHits, now: number): 'armed' | 'stepping' | 'gone' | 'unknown' {
    const byte = this.bytes.get(b.gla);
    if (byte === undefined) return 'unknown';
    if (byte === INT3) return 'armed';
    // The original byte is back while a vCPU steps over a hit (until its single-step event);
    // a breakpoint removed stays without its int3 and is hit no more.
    return b.lastAt > now - STEP_OVER_MS ? 'stepping' : 'gone';
  }

  private view(now: number): DomainView {
    const s = this.lastStatus, reached = this.observer !== undefined && this.error === '';
    const point: ChartPoint = { t: now / 1000, rates: this.tally.tick(now), p50Us: this.latency.quantile(0.5), p99Us: this.latency.quantile(0.99) };
    const m = s?.monitor;
    return {
      name: this.name,
      state: !reached ? 'unreachable' : (s ? DOMAIN_STATES.get(s.state) ?? 'unknown' : 'unknown'),
      error: this.error || this.registerError,
      vendor: this.observer?.info.vendor ?? 'unknown',
      vcpus: s?.vcpus ?? this.observer?.info.vcpus ?? 0,
      memoryMiB: Number((s?.memoryBytes ?? this.observer?.info.memoryBytes ?? 0n) >> 20n),
      control: this.right,
      ring: m ? { occupancy: m.ringOccupancy, capacity: m.ringCapacity, waiting: m.ringWaiting } : null,
      vcpuTable: this.vcpuRows(),
      point,
      totals: Object.fromEntries(this.tally.totals),
      log: this.tally.lines(),
      breakpoints: this.tally.breakpointRows((b) => this.breakpointStatus(b, now)),
      singleStep: this.tally.singleStepRows(now),
      breakpointsNote: 'As the events show them: int3 hits seen (and whether the int3 is in memory now), and vCPUs that single-stepped in the last 2 s. The SDK cannot list another session\'s breakpoints before they are hit.',
      console: this.console.available
        ? { available: true, text: this.console.console.text().slice(-CONSOLE_BYTES) }
        : { available: false, why: this.console.why },
    };
  }

  private vcpuRows(): VcpuRow[] {
    const stats = this.lastStatus?.vcpuStats ?? [];
    const first = this.retired[0], last = this.retired[this.retired.length - 1];
    const seconds = first && last && last.at > first.at ? (last.at - first.at) / 1000 : 0;
    return stats.map((v, k) => {
      const r = this.registers[k];
      const delta = seconds > 0 ? Number((last!.counts[k] ?? 0n) - (first!.counts[k] ?? 0n)) : 0;
      return {
        vcpu: v.vcpu,
        state: VCPU_STATES.get(v.state) ?? 'unknown',
        mode: r ? modeOf(r) : '',
        rip: r ? `0x${r.rip.toString(16)}` : '',
        symbol: r ? this.symbols.lookup(r.rip) : '',
        mips: seconds > 0 ? delta / seconds / 1e6 : 0,
        retired: v.retiredInstructions.toString(),
        exitsByReason: Object.fromEntries(Object.entries(v.exitsByReason).map(([k2, n]) => [k2, n.toString()])),
      };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sub?.unsubscribe();
    await this.controller?.close();
    await this.observer?.close();
  }
}

/** The vCPU table's mode column: the processor mode (cpuMode) shortened, and kernel or user. */
export function modeOf(r: Registers): string {
  const mode = cpuMode(r);
  if (mode === 'real') return 'real';
  const ring = cpl(r) ? 'user' : 'kernel';
  return `${mode === '64-bit' ? '64-bit' : mode === 'compatibility' ? 'compat' : '32-bit protected'} ${ring}`;
}
