/**
 * The dashboard page: one EventSource on /api/stream. The server samples
 * (at most four snapshots a second), so the page never has more to draw than
 * that however many events the guests raise; the browser's EventSource
 * reconnects by itself when the server goes and comes back.
 */
import { STREAM_EVENTS, type DashboardSnapshot, type DomainView, type HistoryMessage } from '../snapshot.js';
import type { DomainCharts } from './charts.js';
import { DomainPanel } from './domain-panel.js';
import { badge, h } from './dom.js';

declare global {
  interface Window {
    /** For the browser tests and the curious: the latest snapshot and each domain's charts (uPlot instances). */
    tsvmiDashboard: { snapshot: DashboardSnapshot | undefined; charts: Record<string, DomainCharts> };
  }
}

const $ = <T extends HTMLElement>(sel: string): T => document.querySelector<T>(sel)!;
const panels = new Map<string, DomainPanel>();
let history: HistoryMessage = { domains: {} };
let selected: string | undefined;
window.tsvmiDashboard = { snapshot: undefined, charts: {} };

function panel(name: string): DomainPanel {
  let p = panels.get(name);
  if (!p) {
    p = new DomainPanel(name);
    panels.set(name, p);
    window.tsvmiDashboard.charts[name] = p.charts;
    p.el.hidden = true;
    $('#details').append(p.el);
    p.loadHistory(history.domains[name] ?? []);
  }
  return p;
}

function select(name: string): void {
  selected = name;
  for (const [n, p] of panels) p.el.hidden = n !== name;
  for (const row of document.querySelectorAll<HTMLTableRowElement>('#domains tbody tr')) row.classList.toggle('selected', row.dataset['domain'] === name);
}

function domainRow(d: DomainView): HTMLTableRowElement {
  const events = Object.values(d.totals).reduce((a, b) => a + b, 0);
  const row = h('tr', { 'data-testid': 'domain-row', 'data-domain': d.name },
    h('td', {}, h('strong', {}, d.name)), h('td', { 'data-field': 'state' }, badge(d.state, 'domain-state')), h('td', {}, d.vendor),
    h('td', { 'data-field': 'vcpus' }, String(d.vcpus)), h('td', {}, `${d.memoryMiB} MiB`),
    h('td', {}, d.ring ? `${d.ring.occupancy}/${d.ring.capacity}${d.ring.waiting ? ` (+${d.ring.waiting} waiting)` : ''}` : '–'),
    h('td', {}, events.toLocaleString('en')), h('td', { class: 'error' }, d.error));
  row.addEventListener('click', () => select(d.name));
  return row;
}

function render(s: DashboardSnapshot): void {
  window.tsvmiDashboard.snapshot = s;
  document.body.dataset['tick'] = String(s.tick);
  $('#updated').textContent = `updated ${new Date(s.at).toLocaleTimeString()}`;
  const nats = $('#nats');
  nats.replaceChildren(...(s.nats ? ['NATS ', badge(s.nats.connected ? 'up' : 'down'), ` ${s.nats.servers}`] : ['embedded (no NATS)']));
  $<HTMLTableSectionElement>('#domains tbody').replaceChildren(...s.domains.map(domainRow));
  for (const d of s.domains) panel(d.name).update(d, s.at);
  if (selected === undefined || !panels.has(selected)) { if (s.domains[0]) select(s.domains[0].name); } else select(selected);
}

function connect(): void {
  const link = $('#link');
  const source = new EventSource('api/stream');
  source.addEventListener('open', () => { link.className = 'badge live'; link.textContent = 'live'; });
  source.addEventListener('error', () => { link.className = 'badge reconnecting'; link.textContent = 'reconnecting…'; });
  source.addEventListener(STREAM_EVENTS.history, (m) => {
    history = JSON.parse((m as MessageEvent<string>).data) as HistoryMessage;
    for (const [name, points] of Object.entries(history.domains)) if (panels.has(name)) panels.get(name)!.loadHistory(points);
  });
  source.addEventListener(STREAM_EVENTS.snapshot, (m) => render(JSON.parse((m as MessageEvent<string>).data) as DashboardSnapshot));
}

connect();
