/**
 * The dashboard's Prometheus metrics against the running demo OS, on both
 * transports: the exposition parses; CR3-write events, replies and retired
 * instructions grow as the guest runs; MIPS is positive while it runs; the
 * reply-latency histogram is a valid one counting exactly the replies; a
 * domain whose link is closed is `tsvmi_domain_up 0` and does not break the
 * scrape.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { MIN_WINDOW_MS } from '../../../clients/dashboard/instruction-rate.js';
import { createMetrics } from '../../../clients/dashboard/metrics.js';
import { Vmi } from '../../../src/introspect/vmi.js';
import type { DomainLink } from '../../../src/monitor/link.js';
import { LocalLink } from '../../../src/monitor/local-link.js';
import { Reason } from '../../../src/monitor/event.js';
import { Monitor } from '../../../src/monitor/monitor.js';
import { NatsLink } from '../../../src/monitor/nats-link.js';
import { boot, checkOs, OS } from '../../support/demo-os.js';
import { parseExposition, select, value, type Exposition } from '../../support/prom-text.js';
import { onEachTransport } from '../../support/transports.js';

const KERNEL = join(OS, 'kernel.elf');

/** The histogram's buckets of one domain, by bound, in bound order; checks they never decrease and end at the count. */
function checkHistogram(e: Exposition, name: string, domain: string): number {
  const buckets = select(e, `${name}_bucket`, { domain }).map((s) => ({ le: s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']), n: s.value }));
  assert.ok(buckets.length > 2, 'buckets');
  buckets.forEach((b, i) => {
    if (i === 0) return;
    assert.ok(b.le > buckets[i - 1]!.le, 'bounds ascend');
    assert.ok(b.n >= buckets[i - 1]!.n, `cumulative counts never decrease: ${buckets.map((x) => x.n).join(' ')}`);
  });
  const count = value(e, `${name}_count`, { domain });
  assert.equal(buckets.at(-1)!.le, Infinity);
  assert.equal(buckets.at(-1)!.n, count, 'the +Inf bucket is the count');
  if (count > 0) assert.ok(value(e, `${name}_sum`, { domain }) > 0);
  return count;
}

const perVcpu = (e: Exposition, name: string): number[] => [0, 1].map((vcpu) => value(e, name, { domain: 'demo', vcpu: String(vcpu) }));

onEachTransport('dashboard metrics', 120_000, (serve) => {

  it('exports events, replies, retired instructions, MIPS and reply latency of the running demo OS', async () => {
    const { domain, serial } = boot(KERNEL);
    const monitor = new Monitor(domain);
    const vmi = await Vmi.attach(await (await serve(monitor)).link());
    const metrics = createMetrics(() => [{ name: 'demo', vmi }]);
    assert.match(metrics.contentType, /^text\/plain; version=0\.0\.4/);

    const before = parseExposition(await metrics.render());
    assert.equal(value(before, 'tsvmi_domain_up', { domain: 'demo' }), 1);
    assert.equal(value(before, 'tsvmi_domain_vcpus', { domain: 'demo' }), 2);
    assert.equal(value(before, 'tsvmi_domain_state', { domain: 'demo', state: 'running' }), 1);
    assert.deepEqual(select(before, 'tsvmi_events_total'), [], 'no events yet');
    assert.deepEqual(select(before, 'tsvmi_nats_connected'), [], 'only with natsConnected');
    assert.equal(before.types.get('tsvmi_events_total'), 'counter');
    assert.equal(before.types.get('tsvmi_reply_latency_seconds'), 'histogram');
    assert.equal(before.types.get('tsvmi_vcpu_mips'), 'gauge');

    vmi.on('writeCtrlreg').subscribe((e) => void e.reinject());
    await vmi.monitor({ writeCtrlreg: { sync: true, indexes: [3] } });
    const running = domain.runForever();
    while ((monitor.counters.events.get(Reason.WRITE_CTRLREG) ?? 0) < 3) await sleep(5); // well under way, far from done
    await sleep(MIN_WINDOW_MS); // a window MIPS is measured over while the guest runs
    const during = parseExposition(await metrics.render());
    const mips = perVcpu(during, 'tsvmi_vcpu_mips');
    assert.ok(mips[0]! > 0, `MIPS while running: ${mips.join(', ')}`);
    const eventsDuring = value(during, 'tsvmi_events_total', { domain: 'demo', reason: 'write-ctrlreg' });
    assert.ok(eventsDuring > 0);

    await running;
    checkOs(serial(), 2);
    const after = parseExposition(await metrics.render());
    const events = value(after, 'tsvmi_events_total', { domain: 'demo', reason: 'write-ctrlreg' });
    assert.ok(events > eventsDuring, `events grew: ${eventsDuring} then ${events}`);
    const retired = [before, during, after].map((e) => perVcpu(e, 'tsvmi_vcpu_retired_instructions_total')[0]!);
    assert.ok(retired[0]! < retired[1]! && retired[1]! < retired[2]!, `retired instructions grow: ${retired.join(', ')}`);
    assert.equal(value(after, 'tsvmi_replies_total', { domain: 'demo', action: 'reinject' }), events, 'every event answered');
    assert.equal(checkHistogram(after, 'tsvmi_reply_latency_seconds', 'demo'), events, 'one latency per reply');
    assert.equal(select(after, 'tsvmi_vcpu_events_total', { domain: 'demo' }).reduce((n, s) => n + s.value, 0), events);
    const exits = select(after, 'tsvmi_vcpu_exits_total', { domain: 'demo', reason: 'cr-write' });
    assert.ok(exits.length > 0 && exits.every((s) => s.value > 0), 'CR writes exit');
    assert.equal(value(after, 'tsvmi_ring_occupancy', { domain: 'demo' }), 0);
    assert.equal(value(after, 'tsvmi_ring_capacity', { domain: 'demo' }), 64);
    assert.equal(value(after, 'tsvmi_ring_waits_total', { domain: 'demo' }), 0);
    assert.equal(select(after, 'tsvmi_domain_state', { domain: 'demo' }).reduce((n, s) => n + s.value, 0), 1, 'in exactly one state');
    await vmi.close();
  });

  it('marks a domain whose link is closed as down, and goes on with the others', async () => {
    const { domain } = boot(KERNEL);
    const monitor = new Monitor(domain);
    const served = await serve(monitor);
    const live = await Vmi.attach(await served.link(), { role: 'observer' });
    // A link of its own, to close: on NATS, with a connection of its own.
    let nc: NatsConnection | undefined;
    let link: DomainLink;
    if (served.natsUrl) {
      nc = await connect({ servers: served.natsUrl });
      link = new NatsLink(nc, domain.name);
    } else {
      link = new LocalLink(monitor);
    }
    const closing = await Vmi.attach(link, { role: 'observer' });
    const nats: { connected?: boolean } = {};
    const metrics = createMetrics(() => [{ name: 'live', vmi: live }, { name: 'closed', vmi: closing }], { natsConnected: () => nats.connected });

    let e = parseExposition(await metrics.render());
    assert.deepEqual([value(e, 'tsvmi_domain_up', { domain: 'live' }), value(e, 'tsvmi_domain_up', { domain: 'closed' })], [1, 1]);
    assert.equal(value(e, 'tsvmi_nats_connected'), 0, 'not known to be connected');

    await link.close();
    await nc?.close();
    nats.connected = true;
    e = parseExposition(await metrics.render());
    assert.deepEqual([value(e, 'tsvmi_domain_up', { domain: 'live' }), value(e, 'tsvmi_domain_up', { domain: 'closed' })], [1, 0]);
    assert.deepEqual(e.samples.filter((s) => s.labels['domain'] === 'closed').map((s) => s.name), ['tsvmi_domain_up'], 'nothing else of it');
    assert.equal(value(e, 'tsvmi_domain_vcpus', { domain: 'live' }), 2);
    assert.equal(value(e, 'tsvmi_nats_connected'), 1);
    await live.close();
  });
});
