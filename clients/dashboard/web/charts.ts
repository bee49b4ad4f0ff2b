/**
 * A domain's two live charts, drawn with uPlot: events per second by reason,
 * and reply latency (p50, p99). The page keeps two minutes of points; a
 * reason seen for the first time gets its series (uPlot's series are fixed
 * per instance, so the events chart is remade then, which is rare).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartPoint } from '../snapshot.js';

const KEEP = 480;
const HEIGHT = 200;
const AXIS = { stroke: '#7b8794', grid: { stroke: '#2a3340', width: 1 }, ticks: { stroke: '#2a3340', width: 1 } };

/** One colour per reason, stable across pages and reloads. */
const COLOURS: Record<string, string> = {
  softwareBreakpoint: '#e06c6c', singleStep: '#e0b04a', debugException: '#c678dd', guestRequest: '#56b6c2',
  cpuid: '#98c379', writeCtrlreg: '#5ea1ff', movToMsr: '#d19a66', ioInstruction: '#61afef',
  descriptorAccess: '#be5046', interrupt: '#7f848e', memAccess: '#ff9de2',
};
const colour = (reason: string): string => COLOURS[reason] ?? '#abb2bf';

/** µs as the latency axis shows them. */
function micros(us: number): string {
  if (us >= 1e6) return `${+(us / 1e6).toPrecision(3)} s`;
  if (us >= 1e3) return `${+(us / 1e3).toPrecision(3)} ms`;
  return `${+us.toPrecision(3)} µs`;
}

export class DomainCharts {
  private readonly t: number[] = [];
  private readonly rates = new Map<string, (number | null)[]>();
  private readonly p50: (number | null)[] = [];
  private readonly p99: (number | null)[] = [];
  private reasons: string[] = [];
  events: uPlot | undefined;
  readonly latency: uPlot;

  constructor(private readonly eventsEl: HTMLElement, latencyEl: HTMLElement) {
    this.latency = new uPlot({
      width: this.width(latencyEl), height: HEIGHT,
      scales: { x: { time: true }, y: { distr: 3 } },
      series: [{}, { label: 'p50', stroke: '#5ea1ff', width: 1.5, spanGaps: false, value: (_u, v) => (v == null ? '–' : micros(v)) },
        { label: 'p99', stroke: '#e06c6c', width: 1.5, spanGaps: false, value: (_u, v) => (v == null ? '–' : micros(v)) }],
      axes: [AXIS, { ...AXIS, size: 64, values: (_u, ticks) => ticks.map((v) => (v == null ? '' : micros(v))) }],
    }, [[], [], []], latencyEl);
    this.remakeEvents();
    new ResizeObserver(() => {
      this.latency.setSize({ width: this.width(latencyEl), height: HEIGHT });
      this.events?.setSize({ width: this.width(eventsEl), height: HEIGHT });
    }).observe(eventsEl.parentElement ?? eventsEl);
  }

  private width(el: HTMLElement): number {
    return Math.max(240, el.clientWidth || (el.parentElement?.clientWidth ?? 480) - 24);
  }

  /** The points the server kept (on connect and on every reconnect): they replace what the page had. */
  load(points: readonly ChartPoint[]): void {
    this.t.length = 0; this.p50.length = 0; this.p99.length = 0;
    this.rates.clear();
    for (const p of points) this.add(p);
    this.redraw();
  }

  push(p: ChartPoint): void {
    this.add(p);
    this.redraw();
  }

  private add(p: ChartPoint): void {
    if (this.t.length && p.t <= this.t[this.t.length - 1]!) return; // the history's newest point comes again as the first snapshot
    for (const reason of Object.keys(p.rates)) {
      if (!this.rates.has(reason)) this.rates.set(reason, this.t.map(() => null));
    }
    this.t.push(p.t);
    for (const [reason, list] of this.rates) list.push(p.rates[reason] ?? 0);
    this.p50.push(p.p50Us);
    this.p99.push(p.p99Us);
    if (this.t.length > KEEP) {
      this.t.shift(); this.p50.shift(); this.p99.shift();
      for (const list of this.rates.values()) list.shift();
    }
  }

  private redraw(): void {
    const reasons = [...this.rates.keys()];
    if (reasons.join() !== this.reasons.join()) { this.reasons = reasons; this.remakeEvents(); }
    this.events!.setData([this.t, ...this.reasons.map((r) => this.rates.get(r)!)]);
    this.latency.setData([this.t, this.p50, this.p99]);
    // For a reader without canvas eyes (the browser tests): the newest point and the peak of the window.
    const peak = Object.fromEntries(this.reasons.map((r) => [r, Math.max(0, ...this.rates.get(r)!.map((v) => v ?? 0))]));
    this.eventsEl.dataset['points'] = String(this.t.length);
    this.eventsEl.dataset['peak'] = JSON.stringify(peak);
  }

  private remakeEvents(): void {
    this.events?.destroy();
    this.events = new uPlot({
      width: this.width(this.eventsEl), height: HEIGHT,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      series: [{}, ...this.reasons.map((r) => ({ label: r, stroke: colour(r), width: 1.5, value: (_u: uPlot, v: number | null) => (v == null ? '–' : `${+v.toFixed(1)}/s`) }))],
      axes: [AXIS, { ...AXIS, size: 56 }],
    }, [this.t, ...this.reasons.map((r) => this.rates.get(r)!)], this.eventsEl);
  }
}
