/**
 * One domain's part of the page: the pause/resume controls, the vCPU table,
 * the two charts, breakpoints and single-stepping, the event log with its
 * filter, and the serial console. Built once; each snapshot only refills the
 * parts that change, so the filter box keeps its focus and text.
 */
import type { ChartPoint, DomainView } from '../snapshot.js';
import { DomainCharts } from './charts.js';
import { ago, badge, fillRows, h, td } from './dom.js';

/** Log lines shown (of the ones that pass the filter). */
const SHOWN_LINES = 200;

export class DomainPanel {
  readonly el: HTMLElement;
  readonly charts: DomainCharts;
  private readonly state = h('span', { 'data-testid': 'detail-state' });
  private readonly pauseBtn = h('button', { 'data-testid': 'pause' }, 'Pause');
  private readonly resumeBtn = h('button', { 'data-testid': 'resume' }, 'Resume');
  private readonly message = h('span', { class: 'error', 'data-testid': 'control-message' });
  private readonly errorLine = h('p', { class: 'error' });
  private readonly vcpus = h('tbody');
  private readonly totals = h('div', { class: 'totals', 'data-testid': 'event-totals' });
  private readonly latencyNote = h('div', { class: 'totals' });
  private readonly bps = h('tbody');
  private readonly steps = h('tbody');
  private readonly bpNote = h('p', { class: 'note' });
  private readonly filter = h('input', { type: 'search', placeholder: 'filter the event log (reason, vCPU, symbol, address…)', 'data-testid': 'log-filter' });
  private readonly log = h('div', { class: 'log', 'data-testid': 'log' });
  private readonly console = h('pre', { class: 'console', 'data-testid': 'console' });
  private last: DomainView | undefined;
  private consoleText = '';

  constructor(readonly name: string) {
    const eventsChart = h('div', { class: 'chart', 'data-testid': 'events-chart' });
    const latencyChart = h('div', { class: 'chart', 'data-testid': 'latency-chart' });
    this.el = h('div', { class: 'domain', 'data-domain': name },
      h('section', { class: 'wide' },
        h('div', { class: 'domain-head' }, h('h2', {}, name), this.state, this.pauseBtn, this.resumeBtn, this.message),
        this.errorLine,
        h('table', { class: 'grid', 'data-testid': 'vcpus' },
          h('thead', {}, h('tr', {}, ...['vCPU', 'state', 'mode', 'RIP', 'symbol', 'MIPS', 'retired', 'exits by reason'].map((c) => h('th', {}, c)))),
          this.vcpus)),
      h('section', {}, h('h3', {}, 'Events per second, by reason'), eventsChart, this.totals),
      h('section', {}, h('h3', {}, 'Reply latency (p50, p99, last 5 s)'), latencyChart, this.latencyNote),
      h('section', {}, h('h3', {}, 'Breakpoints'),
        h('table', { class: 'grid', 'data-testid': 'breakpoints' },
          h('thead', {}, h('tr', {}, ...['int3 at', 'symbol', 'hits', 'in memory', 'last vCPU', 'last hit'].map((c) => h('th', {}, c)))), this.bps),
        h('h3', { style: 'margin-top:10px' }, 'Single-stepping'),
        h('table', { class: 'grid', 'data-testid': 'single-step' },
          h('thead', {}, h('tr', {}, ...['vCPU', 'steps', 'last RIP', 'symbol', 'last step'].map((c) => h('th', {}, c)))), this.steps),
        this.bpNote),
      h('section', {}, h('h3', {}, 'Serial console'), this.console),
      h('section', { class: 'wide' }, h('h3', {}, 'Event log'), this.filter, this.log),
    );
    this.charts = new DomainCharts(eventsChart, latencyChart);
    this.pauseBtn.addEventListener('click', () => void this.control('pause'));
    this.resumeBtn.addEventListener('click', () => void this.control('resume'));
    this.filter.addEventListener('input', () => { if (this.last) this.renderLog(this.last); });
  }

  private async control(verb: 'pause' | 'resume'): Promise<void> {
    this.message.textContent = '';
    const res = await fetch(`api/domains/${encodeURIComponent(this.name)}/${verb}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { error?: string };
      this.message.textContent = `${verb}: ${body.error ?? res.statusText}`;
    }
  }

  loadHistory(points: readonly ChartPoint[]): void {
    this.charts.load(points);
  }

  update(d: DomainView, now: number): void {
    this.last = d;
    this.state.replaceChildren(badge(d.state));
    for (const [btn, verb] of [[this.pauseBtn, 'pause'], [this.resumeBtn, 'resume']] as const) {
      const pointless = verb === 'pause' ? d.state !== 'running' : d.state !== 'paused';
      btn.disabled = !d.control.allowed || pointless;
      btn.title = !d.control.allowed ? d.control.why : pointless ? `the domain is ${d.state}` : `${verb} the domain`;
    }
    this.errorLine.textContent = d.error;
    fillRows(this.vcpus, d.vcpuTable.map((v) => {
      const row = h('tr', { 'data-testid': 'vcpu-row', 'data-vcpu': String(v.vcpu) },
        td('vcpu', String(v.vcpu)), h('td', { 'data-field': 'state' }, badge(v.state)), td('mode', v.mode), td('rip', v.rip, 'mono'),
        td('symbol', v.symbol, 'mono'), td('mips', v.mips.toFixed(2)), td('retired', Number(v.retired).toLocaleString('en')),
        td('exits', Object.entries(v.exitsByReason).map(([k, n]) => `${k} ${n}`).join(' · ') || '–', 'exits'));
      return row;
    }), 8, 'no vCPUs (the domain has not answered)');
    this.charts.push(d.point);
    this.totals.textContent = Object.entries(d.totals).map(([r, n]) => `${r} ${n.toLocaleString('en')}`).join(' · ') || 'no events seen yet (none enabled?)';
    this.latencyNote.textContent = d.point.p50Us === null ? 'no replies in the last 5 s' : `p50 ${Math.round(d.point.p50Us)} µs · p99 ${Math.round(d.point.p99Us ?? 0)} µs`;
    fillRows(this.bps, d.breakpoints.map((b) => h('tr', { 'data-testid': 'breakpoint-row' },
      td('address', b.address, 'mono'), td('symbol', b.symbol, 'mono'), td('hits', String(b.hits)),
      h('td', { 'data-field': 'status' }, badge(b.status)), td('vcpu', String(b.lastVcpu)), td('last', ago(b.lastAt, now)))), 6, 'no int3 hit seen');
    fillRows(this.steps, d.singleStep.map((s) => h('tr', {},
      td('vcpu', String(s.vcpu)), td('steps', String(s.steps)), td('rip', s.lastRip, 'mono'), td('symbol', s.lastSymbol, 'mono'), td('last', ago(s.lastAt, now)))), 5, 'no vCPU single-stepping');
    this.bpNote.textContent = d.breakpointsNote;
    this.renderLog(d);
    this.renderConsole(d);
  }

  private renderLog(d: DomainView): void {
    const words = this.filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const lines = d.log.map((e) => `#${e.seq.padStart(6)} vcpu${e.vcpu} ${e.sync ? 'sync ' : 'async'} ${e.reason.padEnd(18)} ${e.rip} ${e.symbol} ${e.detail}`);
    const shown = lines.filter((l) => words.every((w) => l.toLowerCase().includes(w))).slice(-SHOWN_LINES);
    const atBottom = this.log.scrollTop + this.log.clientHeight >= this.log.scrollHeight - 4;
    this.log.replaceChildren(...(shown.length ? shown.map((l) => h('div', { 'data-testid': 'log-line' }, l)) : [h('div', { class: 'muted' }, d.log.length ? 'no event matches the filter' : 'no events yet')]));
    if (atBottom) this.log.scrollTop = this.log.scrollHeight;
  }

  private renderConsole(d: DomainView): void {
    const text = d.console.available ? d.console.text : d.console.why;
    if (text === this.consoleText) return;
    this.consoleText = text;
    const atBottom = this.console.scrollTop + this.console.clientHeight >= this.console.scrollHeight - 4;
    this.console.textContent = text;
    this.console.classList.toggle('muted', !d.console.available);
    if (atBottom) this.console.scrollTop = this.console.scrollHeight;
  }
}
