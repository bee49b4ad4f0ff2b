/**
 * The ready-made Grafana dashboard (clients/dashboard/grafana/tsvmi.json):
 * it parses, it takes its Prometheus data source from a variable, it has the
 * panels the README promises, and every metric its queries name is one the
 * metrics registry exports.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMetrics } from '../../../clients/dashboard/metrics.js';
import { Vmi } from '../../../src/introspect/vmi.js';
import { LocalLink } from '../../../src/monitor/local-link.js';
import { Monitor } from '../../../src/monitor/monitor.js';
import { boot, OS } from '../../support/demo-os.js';
import { parseExposition } from '../../support/prom-text.js';

interface Target { expr: string; datasource: { type: string; uid: string } }
interface Panel { title: string; type: string; datasource: { type: string; uid: string }; targets: Target[] }
interface Dashboard { title: string; panels: Panel[]; templating: { list: Array<{ name: string; type: string; query: unknown }> } }

const DASHBOARD = join(process.cwd(), 'clients/dashboard/grafana/tsvmi.json');

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));

  it('takes its Prometheus data source from a variable, in every panel and query', () => {
    const variable = dashboard.templating.list.find((v) => v.type === 'datasource');
    assert.ok(variable, 'a data source variable');
    assert.equal(variable.query, 'prometheus');
    const uid = `\${${variable.name}}`;
    for (const p of dashboard.panels) {
      assert.deepEqual(p.datasource, { type: 'prometheus', uid }, p.title);
      for (const t of p.targets) assert.deepEqual(t.datasource, { type: 'prometheus', uid }, p.title);
    }
  });

  it('has the panels operators look for', () => {
    const titles = dashboard.panels.map((p) => p.title).join('\n');
    for (const want of [/events\/s by reason/i, /latency p50 \/ p99/i, /ring occupancy/i, /MIPS per vCPU/i, /exits\/s by reason/i, /refused and dropped/i, /NATS/]) assert.match(titles, want);
    const quantiles = exprs.filter((e) => e.startsWith('histogram_quantile('));
    assert.deepEqual(quantiles.map((e) => /^histogram_quantile\((0\.\d+),/.exec(e)![1]), ['0.5', '0.99']);
    for (const q of quantiles) assert.match(q, /by \([^)]*\ble\b[^)]*\)/, 'quantiles keep the le label');
  });

  it('queries only metrics the registry exports', async () => {
    const { domain } = boot(join(OS, 'kernel.elf'));
    const vmi = await Vmi.attach(new LocalLink(new Monitor(domain)), { role: 'observer' });
    const exposition = parseExposition(await createMetrics(() => [{ name: 'demo', vmi }], { natsConnected: () => true }).render());
    // A family is known by its TYPE line even before it has series (a counter by reason, say); a
    // histogram's series add _bucket, _sum and _count to its name.
    const exported = new Set<string>(exposition.samples.map((s) => s.name));
    for (const [name, type] of exposition.types) {
      exported.add(name);
      if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(name + suffix);
    }
    const used = new Set(exprs.flatMap((e) => e.match(/\btsvmi_[a-z0-9_]+/g) ?? []));
    assert.ok(used.size >= 10, [...used].join(', '));
    for (const name of used) assert.ok(exported.has(name), `${name} is not exported (have ${[...exported].join(', ')})`);
  });
});
