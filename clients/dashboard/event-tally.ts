/**
 * What the dashboard keeps of a domain's event stream: counts per reason for
 * the rate chart, the newest events for the log, and the breakpoints and
 * single-stepping vCPUs the events reveal. Seeing an event is O(1) and keeps
 * a reference at most, so a flood costs the host little; the formatting is
 * done at sampling time, for the few lines the page gets.
 */
import type { VmiEvent } from '../../src/introspect/event.js';
import type { BreakpointRow, EventLine, SingleStepRow } from './snapshot.js';
import type { SymbolTable } from './symbols.js';

/** Events kept for the log (the page filters within these). */
export const LOG_LINES = 300;
/** A vCPU counts as single-stepping while its steps are this recent (ms). */
const STEPPING_MS = 2_000;
/** Rates are events over the last second. */
const RATE_WINDOW_MS = 1_000;

interface Seen { event: VmiEvent; at: number }
interface Hits { gla: bigint; dtb: bigint | undefined; hits: number; lastVcpu: number; lastAt: number }
interface Steps { steps: number; rip: bigint; at: number }

const KERNEL_HALF = 0xffff800000000000n;
const hex = (v: bigint): string => `0x${v.toString(16)}`;

export class EventTally {
  private readonly log: Seen[] = [];
  private pending = new Map<string, number>();
  /** Counts per sampling tick (events in (from, at]), newest last, covering RATE_WINDOW_MS. */
  private readonly ticks: { from: number; at: number; counts: Map<string, number> }[] = [];
  private lastTick: number;
  readonly totals = new Map<string, number>();
  readonly breakpoints = new Map<bigint, Hits>();
  private readonly stepping = new Map<number, Steps>();

  constructor(private readonly symbols: SymbolTable, startedAt: number) {
    this.lastTick = startedAt;
  }

  see(e: VmiEvent, at: number): void {
    this.pending.set(e.reason, (this.pending.get(e.reason) ?? 0) + 1);
    this.totals.set(e.reason, (this.totals.get(e.reason) ?? 0) + 1);
    this.log.push({ event: e, at });
    if (this.log.length > LOG_LINES * 2) this.log.splice(0, this.log.length - LOG_LINES); // amortised trim
    if (e.reason === 'softwareBreakpoint') {
      const gla = e.data.gla;
      const b = this.breakpoints.get(gla) ?? { gla, dtb: gla >= KERNEL_HALF ? undefined : e.regs.cr3, hits: 0, lastVcpu: e.vcpu, lastAt: at };
      b.hits++; b.lastVcpu = e.vcpu; b.lastAt = at;
      this.breakpoints.set(gla, b);
    } else if (e.reason === 'singleStep') {
      const s = this.stepping.get(e.vcpu) ?? { steps: 0, rip: 0n, at };
      s.steps++; s.rip = e.regs.rip; s.at = at;
      this.stepping.set(e.vcpu, s);
    }
  }

  /** Close the current tick; events per second by reason over the last second. */
  tick(at: number): Record<string, number> {
    this.ticks.push({ from: this.lastTick, at, counts: this.pending });
    this.lastTick = at;
    this.pending = new Map();
    while (this.ticks[0]!.at <= at - RATE_WINDOW_MS) this.ticks.shift(); // the newest (at === now) always stays
    const span = Math.max(at - this.ticks[0]!.from, 1) / 1000;
    const rates: Record<string, number> = {};
    for (const reason of this.totals.keys()) rates[reason] = 0;
    for (const t of this.ticks) for (const [reason, n] of t.counts) rates[reason] = (rates[reason] ?? 0) + n / span;
    return rates;
  }

  lines(): EventLine[] {
    return this.log.slice(-LOG_LINES).map(({ event: e, at }) => ({
      seq: e.seq.toString(), vcpu: e.vcpu, reason: e.reason, sync: e.sync,
      rip: hex(e.regs.rip), symbol: this.symbols.lookup(e.regs.rip), detail: detail(e.data), at,
    }));
  }

  /** Breakpoints as the events show them; `status` says what memory shows now. */
  breakpointRows(status: (b: Hits) => BreakpointRow['status']): BreakpointRow[] {
    return [...this.breakpoints.values()].map((b) => ({
      address: hex(b.gla), symbol: this.symbols.lookup(b.gla), hits: b.hits, status: status(b), lastVcpu: b.lastVcpu, lastAt: b.lastAt,
    }));
  }

  singleStepRows(now: number): SingleStepRow[] {
    return [...this.stepping].filter(([, s]) => s.at > now - STEPPING_MS).map(([vcpu, s]) => ({
      vcpu, steps: s.steps, lastRip: hex(s.rip), lastSymbol: this.symbols.lookup(s.rip), lastAt: s.at,
    }));
  }
}

export type { Hits as BreakpointHits };

/** A reason's data in one short line: `gla=0xffffffff80101234 instructionLength=1`. */
function detail(data: object): string {
  return Object.entries(data)
    .filter(([, v]) => v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}=${typeof v === 'bigint' ? hex(v) : String(v)}`)
    .join(' ');
}
