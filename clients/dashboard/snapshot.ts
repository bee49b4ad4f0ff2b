/**
 * What the dashboard server sends the page over Server-Sent Events: plain JSON,
 * shared by the server (clients/dashboard/*.ts) and the page (web/), so that
 * both sides are checked against one definition. Big numbers (instruction
 * counts, sequence numbers, addresses) travel as strings: JSON has no 64-bit
 * integers.
 */

/** SSE event names. */
export const STREAM_EVENTS = {
  /** Once, on connect: each domain's recent chart points, so a new page has a history. */
  history: 'history',
  /** Every sample tick (at most ~4 per second): the whole state, with one new chart point per domain. */
  snapshot: 'snapshot',
} as const;

/** How often the server samples and pushes, in milliseconds: at most 4 pushes a second however many events arrive. */
export const SAMPLE_MS = 250;

/** One point of a domain's two charts. */
export interface ChartPoint {
  /** Unix time in seconds (uPlot's x axis). */
  t: number;
  /** Events per second over the last second, by SDK reason name (softwareBreakpoint, singleStep, …). */
  rates: Record<string, number>;
  /** Reply latency quantiles over the last few seconds, in microseconds; null when no reply was applied then. */
  p50Us: number | null;
  p99Us: number | null;
}

export interface VcpuRow {
  vcpu: number;
  /** running, paused, halted, wait-for-sipi (an AP not started yet). */
  state: string;
  /** e.g. "64-bit kernel", "64-bit user", "32-bit protected", "real"; "" when the registers are unknown. */
  mode: string;
  /** Hex, "" when the registers could not be read. */
  rip: string;
  /** The kernel symbol at or below RIP, with the offset ("syscall_entry+0x4"), when the profile has one. */
  symbol: string;
  /** Millions of instructions retired per second of wall time, over the last second. */
  mips: number;
  retired: string;
  exitsByReason: Record<string, string>;
}

export interface EventLine {
  seq: string;
  vcpu: number;
  reason: string;
  sync: boolean;
  rip: string;
  symbol: string;
  /** The reason's data in short (the CR written, the port, the breakpoint's address …). */
  detail: string;
  /** Unix time in milliseconds when the dashboard saw it. */
  at: number;
}

export interface BreakpointRow {
  /** Hex linear address. */
  address: string;
  symbol: string;
  hits: number;
  /** armed (the int3 is in memory), stepping (its byte is back while a vCPU steps over it), gone, or unknown (memory unreadable). */
  status: 'armed' | 'stepping' | 'gone' | 'unknown';
  lastVcpu: number;
  /** Unix time in milliseconds of the last hit seen. */
  lastAt: number;
}

export interface SingleStepRow {
  vcpu: number;
  steps: number;
  lastRip: string;
  lastSymbol: string;
  lastAt: number;
}

/** Whether the page may pause and resume a domain, and if not, why (the button's tooltip). */
export interface ControlRight {
  allowed: boolean;
  why: string;
}

export interface DomainView {
  name: string;
  /** running, paused, shutdown, crashed; unreachable when the dashboard cannot reach it (error says why). */
  state: string;
  error: string;
  vendor: string;
  vcpus: number;
  memoryMiB: number;
  control: ControlRight;
  ring: { occupancy: number; capacity: number; waiting: number } | null;
  vcpuTable: VcpuRow[];
  /** This tick's chart point (the page appends it to its history). */
  point: ChartPoint;
  /** Events seen in total, by reason, since the dashboard attached. */
  totals: Record<string, number>;
  /** The newest events, oldest first. */
  log: EventLine[];
  breakpoints: BreakpointRow[];
  singleStep: SingleStepRow[];
  /** What the SDK can tell about breakpoints and stepping: a note for the page. */
  breakpointsNote: string;
  /** The tail of the guest's serial console, or why it is not available. */
  console: { available: true; text: string } | { available: false; why: string };
}

export interface DashboardSnapshot {
  /** Unix time in milliseconds. */
  at: number;
  /** Counts up by one per push: lets a test wait for "a few more samples". */
  tick: number;
  /** NATS connection state; null when the domains are embedded (no NATS). */
  nats: { connected: boolean; servers: string } | null;
  domains: DomainView[];
}

export interface HistoryMessage {
  domains: Record<string, ChartPoint[]>;
}
