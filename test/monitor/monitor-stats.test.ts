/**
 * The monitor's statistics as every client gets them, in the `info` reply
 * (DomainInfoReply.monitor), on both transports against the running demo OS:
 * events by reason, replies by action, refusals by code, reply latency as a
 * cumulative histogram, the ring's occupancy and its waits for a free slot,
 * and events answered by the no-controller default action.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Reason as PbReason } from '../../src/generated/tsvmi/v1/common.js';
import { DomainInfoReply, DomainInfoRequest, SetMonitorConfigRequest, StatusReply, type MonitorStats, type ReasonConfig } from '../../src/generated/tsvmi/v1/control.js';
import type { MonitorEvent } from '../../src/generated/tsvmi/v1/event.js';
import { Action } from '../../src/generated/tsvmi/v1/reply.js';
import { RequestError, type DomainLink } from '../../src/monitor/link.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { breakpointDomain } from '../support/breakpoint-guest.js';
import { boot, checkOs, OS } from '../support/demo-os.js';
import { onEachTransport } from '../support/transports.js';

const KERNEL = join(OS, 'kernel.elf');

const configure = (link: DomainLink, ...rs: Array<Partial<ReasonConfig>>) => link.request('control.set-monitor-config', SetMonitorConfigRequest, StatusReply,
  { config: { reasons: rs.map((r) => ({ enabled: true, sync: true, onChangeOnly: false, indexes: [], reason: 0, ...r })), includeEmulated: false } });
const stats = async (link: DomainLink): Promise<MonitorStats> => (await link.request('info', DomainInfoRequest, DomainInfoReply, {})).monitor!;
const numbers = (m: Record<string, bigint>): Record<string, number> => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Number(v)]));

/** The histogram is one Prometheus can take: ascending bounds, cumulative counts that never decrease and never pass the count. */
function assertHistogram(h: MonitorStats['replyLatency'], count: number): void {
  assert.ok(h);
  const bounds = h.boundsUs.map(Number), counts = h.cumulativeCounts.map(Number);
  assert.equal(counts.length, bounds.length);
  bounds.forEach((b, i) => assert.ok(i === 0 || b > bounds[i - 1]!, `bounds ascend: ${bounds.join(', ')}`));
  counts.forEach((c, i) => assert.ok(i === 0 || c >= counts[i - 1]!, `cumulative counts never decrease: ${counts.join(', ')}`));
  assert.equal(Number(h.count), count);
  assert.ok(counts.at(-1)! <= count);
  if (count > 0) assert.ok(h.sumUs > 0, 'time passed between publication and reply');
}

onEachTransport('monitor statistics in info', 90_000, (serve) => {

  it('counts events by reason, replies by action, refused replies by code, and the reply latency', async () => {
    const { domain, serial } = boot(KERNEL);
    const monitor = new Monitor(domain);
    const link = await (await serve(monitor)).link();
    await configure(link, { reason: PbReason.REASON_MOV_TO_MSR }, { reason: PbReason.REASON_WRITE_CTRLREG, sync: false });
    const seen = new Map<string, number>(), answered = { drop: 0, reinject: 0 }, failures: unknown[] = [];
    let refusalsTried = false;
    const controller = await link.control((e: MonitorEvent) => {
      const kind = e.reason!.$case;
      seen.set(kind, (seen.get(kind) ?? 0) + 1);
      if (e.reason?.$case !== 'movToMsr') return; // CR writes are async: nothing to answer
      // A rewrite of the value the MSR holds changes nothing: dropping it is harmless to the guest.
      const action = e.reason.value.oldValue === e.reason.value.newValue ? 'drop' : 'reinject';
      void (async () => {
        const refusals = !refusalsTried;
        refusalsTried = true;
        if (refusals) await controller.reply({ seq: e.seq }).then(() => failures.push('a reply without an action was accepted'), () => {});
        await controller.reply({ seq: e.seq, action: action === 'drop' ? Action.ACTION_DROP : Action.ACTION_REINJECT });
        answered[action]++;
        if (refusals) {
          for (const seq of [e.seq, 1_000_000n]) {
            await controller.reply({ seq, action: Action.ACTION_REINJECT }).then(() => failures.push(`reply to ${seq} accepted`), (err: unknown) => { if (!(err instanceof RequestError)) failures.push(err); });
          }
        }
      })().catch((err: unknown) => failures.push(err));
    });
    await domain.runForever();
    checkOs(serial(), 2);
    assert.deepEqual(failures, []);
    const m = await stats(link);
    assert.ok(answered.drop > 0 && answered.reinject > 0, `${answered.drop} dropped, ${answered.reinject} reinjected`);
    assert.deepEqual(numbers(m.eventsByReason), { 'mov-to-msr': seen.get('movToMsr'), 'write-ctrlreg': seen.get('writeCtrlreg') });
    assert.deepEqual(numbers(m.repliesByAction), answered);
    assert.deepEqual(numbers(m.refusedByCode), { INVALID_REPLY: 1, ALREADY_ANSWERED: 1, UNKNOWN_EVENT: 1 });
    assertHistogram(m.replyLatency, answered.drop + answered.reinject);
    assert.deepEqual([m.ringOccupancy, m.ringCapacity, m.ringWaiting, Number(m.ringWaits)], [0, 64, 0, 0]);
    assert.deepEqual([m.defaulted, m.discarded, m.released], [0n, 0n, 0n]);
    await controller.detach();
  });

  it('shows events waiting for a free slot, counts the waits, and lets them all go when their reason is disabled', async () => {
    const domain = breakpointDomain(3, 'ring'); // every vCPU hits an int3 at once
    const monitor = new Monitor(domain, { slots: 1 });
    const link = await (await serve(monitor)).link();
    // A controller that never answers: the first event keeps the one slot.
    const controller = await link.control(() => {});
    await configure(link, { reason: PbReason.REASON_SOFTWARE_BREAKPOINT });
    const running = domain.runForever(3_000);
    let m = await stats(link);
    for (let k = 0; k < 500 && m.ringWaiting < 2; k++) { await sleep(10); m = await stats(link); }
    assert.deepEqual([m.ringOccupancy, m.ringCapacity, m.ringWaiting, Number(m.ringWaits)], [1, 1, 2, 2], 'one event holds the slot, two vCPUs wait for it');
    // Disabling the reason lets go the event in the slot, then each that waited as it gets the slot.
    await configure(link, { reason: PbReason.REASON_SOFTWARE_BREAKPOINT, enabled: false });
    assert.equal((await running).kind, 'limit', 'no vCPU was left waiting');
    m = await stats(link);
    assert.deepEqual([m.ringOccupancy, m.ringWaiting, Number(m.ringWaits), Number(m.released)], [0, 0, 2, 3]);
    assert.deepEqual([Number(m.eventsByReason['software-breakpoint']), m.repliesByAction], [3, {}]);
    await controller.detach();
  });

  it('takes a reply to an event still waiting for a slot (NATS shows every event when raised), and no vCPU is left waiting', async () => {
    const domain = breakpointDomain(3, 'ring');
    const monitor = new Monitor(domain, { slots: 1 });
    const link = await (await serve(monitor)).link();
    const answered = new Set<bigint>(), failures: unknown[] = [], replies: Array<Promise<void>> = [];
    const answer = (seq: bigint): void => {
      replies.push(controller.reply({ seq, action: Action.ACTION_REINJECT }).then(() => {}, (err: unknown) => { failures.push(err); }));
    };
    let held: bigint | undefined, holding = true;
    const release = (): void => { const seq = held; held = undefined; if (seq !== undefined) answer(seq); };
    const controller = await link.control((e: MonitorEvent) => {
      if (answered.has(e.seq)) return; // a transport may show it again when the ring hands it out
      answered.add(e.seq);
      // The very first event keeps the one slot; the next ones are answered before it, while
      // they wait (over NATS, which shows events when raised; embedded shows one at a time,
      // so there the first is let go after a while instead).
      if (holding) { holding = false; held = e.seq; setTimeout(release, 200); } else answer(e.seq);
      if (answered.size === 3) release();
    });
    await configure(link, { reason: PbReason.REASON_SOFTWARE_BREAKPOINT });
    assert.equal((await domain.runForever(3_000)).kind, 'limit', 'every vCPU ran to the limit');
    await Promise.all(replies); // the last ones may still be on the wire
    assert.deepEqual(failures, [], 'no reply was refused');
    const m = await stats(link);
    assert.equal(Number(m.repliesByAction.reinject), answered.size);
    assert.deepEqual([m.ringOccupancy, m.ringWaiting], [0, 0]);
    await controller.detach();
  });

  it('counts the events answered by the no-controller default action', async () => {
    const { domain, serial } = boot(KERNEL);
    const monitor = new Monitor(domain, { noControllerTimeoutMs: 1, defaultAction: 'reinject' });
    const link = await (await serve(monitor)).link();
    await configure(link, { reason: PbReason.REASON_WRITE_CTRLREG, indexes: [3] });
    await domain.runForever();
    checkOs(serial(), 2);
    const m = await stats(link);
    const raised = Number(m.eventsByReason['write-ctrlreg']);
    assert.ok(raised > 0);
    assert.equal(Number(m.defaulted), raised, 'nobody answered any of them');
    assert.deepEqual(m.repliesByAction, {});
    assertHistogram(m.replyLatency, 0);
  });
});
