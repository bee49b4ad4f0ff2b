/**
 * The live dashboard in a real browser: headless Chromium (Debian's) driven by
 * playwright-core, against the demo OS running in this process behind a
 * Monitor, the dashboard's server (fastify, SSE) and its Vite-built page. The
 * page must show the vCPUs' real RIPs and symbols, its events chart must move
 * when breakpoints fire, and its pause button must pause the domain.
 *
 * The guest runs paced (clients/commands/paced-run.ts): the same run, spread
 * over more wall time, so that it is still running when the page acts on it.
 * Nothing here asserts on wall time: every wait is for a condition, with a
 * timeout that only bounds a failure.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { runPaced } from '../../clients/commands/paced-run.js';
import { localDirectory } from '../../clients/dashboard/directory.js';
import { serveDashboard, type DashboardServer } from '../../clients/dashboard/server.js';
import type { DashboardSnapshot } from '../../clients/dashboard/snapshot.js';
import { DomainState } from '../../src/generated/tsvmi/v1/control.js';
import type { Domain } from '../../src/hypervisor/vm/domain.js';
import { Breakpoints } from '../../src/introspect/breakpoints.js';
import { loadProfile } from '../../src/introspect/os/profile.js';
import { Vmi } from '../../src/introspect/vmi.js';
import { LocalLink } from '../../src/monitor/local-link.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { launchChromium, waitFor } from '../support/browser.js';
import { boot, OS } from '../support/demo-os.js';

const KERNEL = join(OS, 'kernel.elf');
const profile = loadProfile(KERNEL);
const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** What the page exposes for inspection (web/main.ts): the latest snapshot and the uPlot charts. */
interface PageHooks {
  tsvmiDashboard: {
    snapshot: DashboardSnapshot | undefined;
    charts: Record<string, { events: { series: { label?: string }[]; data: (number | null)[][] }; latency: { data: (number | null)[][] } }>;
  };
}

/** The kernel symbol at or below `va` by `nm -n` (text symbols), as `name+0xoff`: a second opinion on the page's. */
function nmSymbol(va: bigint): string {
  let best: { at: bigint; name: string } | undefined;
  for (const line of execFileSync('nm', ['-n', KERNEL], { encoding: 'utf8' }).split('\n')) {
    const [addr, type, name] = line.split(' ');
    if (!name || !/^[tT]$/.test(type!)) continue;
    const at = BigInt(`0x${addr}`);
    if (at <= va && (!best || at >= best.at)) best = { at, name };
  }
  assert.ok(best, `no text symbol below ${hex(va)}`);
  return va === best.at ? best.name : `${best.name}+0x${(va - best.at).toString(16)}`;
}

/** Run the guest deterministically, in slices of guest time, until its console shows `text`. */
async function runUntil(domain: Domain, serial: () => string, text: string): Promise<void> {
  while (!serial().includes(text)) {
    const o = await domain.run(domain.instructions + 50_000);
    if (o.kind !== 'limit') throw new Error(`the guest stopped (${o.kind}) before printing "${text}"`);
  }
}

interface VcpuCells { vcpu: number; state: string; mode: string; rip: string; symbol: string; retired: string }

const vcpuRows = (page: Page): Promise<VcpuCells[]> => page.$$eval('[data-domain="demo"] [data-testid=vcpu-row]', (rows) => rows.map((r) => {
  const cell = (f: string): string => r.querySelector(`[data-field=${f}]`)?.textContent ?? '';
  return { vcpu: Number((r as HTMLElement).dataset['vcpu']), state: cell('state'), mode: cell('mode'), rip: cell('rip'), symbol: cell('symbol'), retired: cell('retired') };
}));

const pageState = (page: Page): Promise<string> => page.$eval('[data-domain="demo"] [data-testid=detail-state]', (e) => e.textContent ?? '');
const pageTick = async (page: Page): Promise<number> => Number(await page.getAttribute('body', 'data-tick'));

/** The events chart's peak rate per reason over the points it holds (web/charts.ts writes it on the element). */
const chartPeak = async (page: Page): Promise<Record<string, number>> =>
  JSON.parse((await page.getAttribute('[data-domain="demo"] [data-testid=events-chart]', 'data-peak')) ?? '{}') as Record<string, number>;

describe('dashboard in headless Chromium', function () {
  this.timeout(120_000);
  let browser: Browser;
  const cleanup: Array<() => unknown> = [];
  let pageErrors: string[] = [];

  before(async () => { browser = await launchChromium(); });
  after(async () => { await browser?.close(); });
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
    assert.deepEqual(pageErrors, [], 'the page threw');
  });

  /** The demo OS on two vCPUs behind a Monitor, the dashboard on a free port, an observer session for the test, a page. */
  async function setup(opts: { controller: boolean }): Promise<{ domain: Domain; serial: () => string; monitor: Monitor; dash: DashboardServer; vmi: Vmi; page: Page }> {
    const { domain, serial } = boot(KERNEL, 2);
    const monitor = new Monitor(domain);
    const dash = await serveDashboard({ domains: localDirectory(monitor, { profile, console: { text: serial } }), port: 0, controller: opts.controller });
    cleanup.push(() => dash.close());
    const vmi = await Vmi.attach(new LocalLink(monitor), { role: 'observer', profile });
    cleanup.push(() => vmi.close());
    const page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
    cleanup.push(() => page.close());
    pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    return { domain, serial, monitor, dash, vmi, page };
  }

  it('shows the vCPUs\' real RIPs with their kernel symbols, and follows them as they run', async () => {
    const { domain, serial, dash, vmi, page } = await setup({ controller: false });
    await runUntil(domain, serial, 'smp: 2 cpus online'); // both vCPUs are in the kernel now
    await vmi.pause();
    const run = runPaced(domain, 5);
    cleanup.push(() => run.stop());
    await page.goto(dash.url);
    await waitFor('the page to show the domain paused', async () => (await pageState(page)) === 'paused');

    const regs = await Promise.all([0, 1].map((v) => vmi.getRegisters(v)));
    const start = profile.symbols.get('__kernel_start')!, end = profile.symbols.get('__kernel_end')!;
    for (const r of regs) assert.ok(r.rip >= start && r.rip < end, `RIP ${hex(r.rip)} is in the kernel image`);
    const rows = await waitFor('the vCPU table to show the paused vCPUs\' RIPs', async () => {
      const got = await vcpuRows(page);
      return got.length === 2 && got.every((row, v) => row.rip === hex(regs[v]!.rip)) && got;
    });
    for (const row of rows) {
      assert.equal(row.symbol, nmSymbol(regs[row.vcpu]!.rip), `vCPU ${row.vcpu}'s symbol`);
      assert.equal(row.mode, '64-bit kernel');
    }
    const consoleText = await page.textContent('[data-domain="demo"] [data-testid=console]');
    assert.ok(consoleText?.includes('smp: 2 cpus online'), 'the serial console is shown');

    await vmi.resume();
    await waitFor('the page to show vCPU 0 moving on', async () => {
      const now = await vcpuRows(page);
      return now[0] !== undefined && now[0].rip !== rows[0]!.rip && now[0].retired !== rows[0]!.retired;
    });
  });

  it('moves the events chart when breakpoints fire, and lists the breakpoint', async () => {
    const { domain, serial, monitor, dash, page } = await setup({ controller: false });
    await runUntil(domain, serial, 'smp: 2 cpus online');
    await page.goto(dash.url);
    await waitFor('the page to show the domain', async () => (await vcpuRows(page)).length === 2);
    assert.ok(!((await chartPeak(page))['softwareBreakpoint']! > 0), 'no breakpoint events before there are breakpoints');

    // The test is the domain's controller: it sets the breakpoint; the dashboard only observes.
    const ctl = await Vmi.attach(new LocalLink(monitor), { profile });
    cleanup.push(() => ctl.close());
    await new Breakpoints(ctl).insert(profile.syscallEntry);
    const run = runPaced(domain, 10);
    cleanup.push(() => run.stop());

    await waitFor('the events chart to show breakpoint hits', async () => (await chartPeak(page))['softwareBreakpoint']! > 0);
    const chart = await page.evaluate(() => {
      const c = (window as unknown as PageHooks).tsvmiDashboard.charts['demo']!;
      return { labels: c.events.series.map((s) => s.label), data: c.events.data };
    });
    const k = chart.labels.indexOf('softwareBreakpoint');
    assert.ok(k > 0, `a softwareBreakpoint series (series: ${chart.labels.join(', ')})`);
    assert.ok(chart.data[k]!.some((v) => (v ?? 0) > 0), 'the uPlot data holds a non-zero breakpoint rate');

    const bp = await waitFor('the breakpoint row', async () => {
      const rows = await page.$$eval('[data-domain="demo"] [data-testid=breakpoint-row]', (rs) => rs.map((r) => ({
        address: r.querySelector('[data-field=address]')?.textContent, symbol: r.querySelector('[data-field=symbol]')?.textContent,
        hits: Number(r.querySelector('[data-field=hits]')?.textContent), status: r.querySelector('[data-field=status]')?.textContent,
      })));
      return rows.find((r) => r.address === hex(profile.syscallEntry) && r.hits > 0);
    });
    assert.equal(bp.symbol, 'syscall_entry');
    assert.ok(['armed', 'stepping'].includes(bp.status ?? ''), `the int3 is in memory (${bp.status})`);

    // The breakpoint's step-overs are replies to sync events: the latency chart gets them.
    await waitFor('a reply latency on the chart', () => page.evaluate(() =>
      (window as unknown as PageHooks).tsvmiDashboard.charts['demo']!.latency.data[1]!.some((v) => v !== null)));

    // The log filter keeps only matching lines.
    await page.fill('[data-domain="demo"] [data-testid=log-filter]', 'singleStep');
    const lines = await waitFor('filtered log lines', async () => {
      const got = await page.$$eval('[data-domain="demo"] [data-testid=log-line]', (ls) => ls.map((l) => l.textContent ?? ''));
      return got.length > 0 && got;
    });
    assert.ok(lines.every((l) => l.includes('singleStep')), 'every line shown matches the filter');

    // Without the controller session the page may not pause, and says why.
    const pause = page.locator('[data-domain="demo"] [data-testid=pause]');
    assert.equal(await pause.isDisabled(), true);
    assert.match((await pause.getAttribute('title')) ?? '', /no controller rights/);
    const res = await fetch(`${dash.url}api/domains/demo/pause`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 403);
  });

  it('pauses the domain with the pause button, and resumes it', async () => {
    const { domain, serial, dash, vmi, page } = await setup({ controller: true });
    await runUntil(domain, serial, 'smp: 2 cpus online');
    const run = runPaced(domain, 5);
    cleanup.push(() => run.stop());
    await page.goto(dash.url);
    const pause = page.locator('[data-domain="demo"] [data-testid=pause]');
    const resume = page.locator('[data-domain="demo"] [data-testid=resume]');
    await waitFor('the pause button to be enabled', async () => (await pageState(page)) === 'running' && !(await pause.isDisabled()));

    await pause.click();
    await waitFor('the domain to be paused', async () => (await vmi.status()).state === DomainState.DOMAIN_STATE_PAUSED);
    await waitFor('the page to show it paused', async () => (await pageState(page)) === 'paused');
    const retired = (await vmi.status()).vcpuStats.map((v) => v.retiredInstructions);
    const rips = (await Promise.all([0, 1].map((v) => vmi.getRegisters(v)))).map((r) => hex(r.rip));
    const tick = await pageTick(page);
    await waitFor('three more samples on the page', async () => (await pageTick(page)) >= tick + 3);
    assert.deepEqual((await vmi.status()).vcpuStats.map((v) => v.retiredInstructions), retired, 'no instruction retired while paused');
    assert.deepEqual((await Promise.all([0, 1].map((v) => vmi.getRegisters(v)))).map((r) => hex(r.rip)), rips, 'the RIPs stay put');
    assert.deepEqual((await vcpuRows(page)).map((r) => r.rip), rips, 'the page shows them');
    assert.equal(await pause.isDisabled(), true, 'nothing more to pause');

    await resume.click();
    await waitFor('the domain to run again', async () => {
      const s = await vmi.status();
      return s.state !== DomainState.DOMAIN_STATE_PAUSED && s.vcpuStats.some((v, k) => v.retiredInstructions > retired[k]!);
    });
    await waitFor('the page to show it running', async () => (await pageState(page)) === 'running');
  });
});
