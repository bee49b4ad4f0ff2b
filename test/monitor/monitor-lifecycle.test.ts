/**
 * The monitor's rules around removed breakpoints and absent controllers, on
 * the breakpoint-spinning guest: queued events for a breakpoint that is gone
 * are discarded (bhyve, seed 001), pause plus drain lets a client see every
 * event before it removes a breakpoint (libvmi's rule), and the optional
 * no-controller timeout answers waiting events with a default action and
 * reports it; disabling a reason lets its waiting events go.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Reason, type MonitorEvent } from '../../src/monitor/event.js';
import { ASYNC_EVENTS_PER_YIELD, Monitor } from '../../src/monitor/monitor.js';
import { breakpointDomain, CODE } from '../support/breakpoint-guest.js';

const NOP = 0x90;

function monitored(vcpus: number, opts: ConstructorParameters<typeof Monitor>[1] = {}) {
  const domain = breakpointDomain(vcpus, 'dom');
  const monitor = new Monitor(domain, opts);
  monitor.configure({ [Reason.SOFTWARE_BREAKPOINT]: { sync: true } });
  return { domain, monitor };
}

describe('monitor: removed breakpoints and absent controllers', () => {
  it('hands a queued breakpoint event to the controller that attaches while the breakpoint is still there', async () => {
    const { domain, monitor } = monitored(1);
    assert.equal((await domain.run(10_000)).kind, 'paused', 'the vCPU waits for a controller');
    const seen: MonitorEvent[] = [];
    monitor.attach('controller', (e) => seen.push(e));
    await Promise.resolve();
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.exit.rip, CODE);
    assert.equal(monitor.counters.discarded, 0);
  });

  it('discards a queued breakpoint event whose breakpoint was removed; the vCPU runs the original instruction', async () => {
    const { domain, monitor } = monitored(1);
    await domain.run(10_000);
    assert.equal(monitor.ring.occupancy, 1);
    domain.mem.write8(CODE, NOP); // the debugger restores the original byte
    const seen: MonitorEvent[] = [];
    monitor.attach('controller', (e) => seen.push(e));
    await Promise.resolve(); // the ring is pumped to a new controller in a microtask
    const before = domain.instructions;
    const o = await domain.run(before + 10_000);
    assert.equal(o.kind, 'limit', 'the vCPU runs again: nop; jmp, forever');
    assert.deepEqual(seen, [], 'no stale breakpoint event reached the debugger');
    assert.equal(monitor.counters.discarded, 1);
    assert.equal(monitor.ring.occupancy, 0);
  });

  it('lets events go as if unmonitored when their reason is disabled while they wait (Xen unpauses them)', async () => {
    const { domain, monitor } = monitored(2);
    const seen: MonitorEvent[] = [];
    monitor.attach('controller', (e) => seen.push(e)); // answers nothing
    assert.equal((await domain.run(100_000)).kind, 'paused');
    await Promise.resolve();
    assert.equal(seen.length, 2, 'both vCPUs wait on a breakpoint event');
    const handler = domain.vcpus[0]!.cpu.icount;
    monitor.configure({}); // breakpoints no longer monitored: both #BPs are delivered after all
    assert.equal(monitor.counters.released, 2);
    assert.equal(monitor.ring.occupancy, 0);
    const o = await domain.run(domain.instructions + 1_000);
    assert.equal(o.kind, 'limit', 'the vCPUs run again');
    assert.ok(domain.vcpus[0]!.cpu.icount > handler);
    monitor.configure({ [Reason.SOFTWARE_BREAKPOINT]: { sync: true } });
    await domain.run(domain.instructions + 1_000);
    await Promise.resolve();
    domain.mem.write8(CODE, NOP); // a debugger removes its breakpoint, then stops listening
    monitor.configure({});
    assert.equal(monitor.counters.released, 4, 'a hit whose int3 is gone is let go too');
    assert.equal((await domain.run(domain.instructions + 1_000)).kind, 'limit', 'retrying the original instruction: nop; jmp');
  });

  it('pause plus drain: every queued event reaches the client before it removes the breakpoint, and none after', async () => {
    const { domain, monitor } = monitored(4);
    const seen: MonitorEvent[] = [];
    const session = monitor.attach('controller', (e) => seen.push(e)); // answers nothing yet
    assert.equal((await domain.run(100_000)).kind, 'paused');
    domain.pause();
    await Promise.resolve();
    assert.deepEqual(seen.map((e) => e.vcpu).sort(), [0, 1, 2, 3], 'drained: one event per vCPU');
    domain.mem.write8(CODE, NOP);
    for (const e of seen) session.reply({ seq: e.seq, action: 'drop' }); // retry at the same RIP: now the original instruction
    domain.unpause();
    const o = await domain.run(domain.instructions + 40_000);
    assert.equal(o.kind, 'limit');
    assert.equal(seen.length, 4, 'no event after the breakpoint was removed');
  });

  it('gives the event loop a turn every few hundred async events, so a transport can flush them', async () => {
    const domain = breakpointDomain(1, 'dom');
    const monitor = new Monitor(domain);
    monitor.configure({ [Reason.SOFTWARE_BREAKPOINT]: { sync: false } });
    let turns = 0, running = true;
    const tick = (): void => { turns++; if (running) setImmediate(tick); };
    setImmediate(tick);
    await domain.run(60_000);
    running = false;
    const events = monitor.counters.events.get(Reason.SOFTWARE_BREAKPOINT)!;
    assert.ok(events > 10 * ASYNC_EVENTS_PER_YIELD, `${events} events`);
    assert.ok(turns >= Math.floor(events / ASYNC_EVENTS_PER_YIELD) - 1, `${turns} turns of the event loop for ${events} events`);
  });

  it('answers events with the default action when no controller comes back in time, and reports each', async () => {
    const reported: [bigint, string][] = [];
    const { domain, monitor } = monitored(1, { noControllerTimeoutMs: 10, defaultAction: 'reinject', onDefaultAction: (e, a) => reported.push([e.seq, a]) });
    let first: MonitorEvent | undefined;
    const gone = monitor.attach('controller', (e) => { first ??= e; queueMicrotask(() => gone.detach()); });
    for (let k = 0; k < 50 && monitor.counters.defaulted < 3; k++) {
      const o = await domain.run(domain.instructions + 1_000);
      if (o.kind === 'paused') await sleep(15);
    }
    assert.ok(monitor.counters.defaulted >= 3, `defaulted ${monitor.counters.defaulted}`);
    assert.equal(reported[0]![0], first!.seq, 'the unanswered event of the controller that left was answered first');
    assert.ok(reported.every(([, a]) => a === 'reinject'));
    assert.equal(reported.length, monitor.counters.defaulted);
    assert.deepEqual(reported.map(([s]) => s), reported.map((_, k) => first!.seq + BigInt(k)), 'in order, none skipped');
  });
});
