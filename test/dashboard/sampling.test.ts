/**
 * The dashboard's pure parts: latency quantiles from histogram differences
 * (as Prometheus's histogram_quantile estimates them), nearest kernel symbols,
 * the console tail, and events per second.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { EventTally } from '../../clients/dashboard/event-tally.js';
import { LatencyWindow } from '../../clients/dashboard/latency-window.js';
import { SerialConsole } from '../../clients/dashboard/serial-console.js';
import { SymbolTable } from '../../clients/dashboard/symbols.js';
import type { LatencyHistogram } from '../../src/generated/tsvmi/v1/control.js';
import type { VmiEvent } from '../../src/introspect/event.js';
import { loadProfile } from '../../src/introspect/os/profile.js';
import { OS } from '../support/demo-os.js';

const histogram = (bounds: number[], perBucket: number[], inf = 0): LatencyHistogram => {
  let run = 0;
  const cumulative = perBucket.map((n) => BigInt((run += n)));
  return { boundsUs: bounds.map(BigInt), cumulativeCounts: cumulative, count: BigInt(run + inf), sumUs: 0 };
};

describe('dashboard sampling', () => {
  it('estimates reply-latency quantiles from the histogram\'s growth over the window, like histogram_quantile', () => {
    const w = new LatencyWindow(5_000);
    const bounds = [100, 200, 400];
    w.push(0, histogram(bounds, [50, 0, 0])); // replies before the window opened do not count
    assert.equal(w.quantile(0.5), null, 'one sample is no window');
    w.push(1_000, histogram(bounds, [50, 0, 0]));
    assert.equal(w.quantile(0.5), null, 'no reply in the window');
    w.push(2_000, histogram(bounds, [50, 10, 10])); // 20 replies: 10 in (100, 200], 10 in (200, 400]
    assert.equal(w.quantile(0.5), 200, 'the rank-10 reply is at the top of the (100, 200] bucket');
    assert.equal(w.quantile(0.25), 150, 'linear inside the bucket');
    assert.equal(w.quantile(0.99), 200 + 200 * (19.8 - 10) / 10);
    w.push(3_000, histogram(bounds, [50, 10, 10], 5)); // beyond the last bound
    assert.equal(w.quantile(0.99), 400, 'the +Inf bucket answers with the highest bound');
    w.push(9_000, histogram(bounds, [50, 10, 10], 5));
    assert.equal(w.quantile(0.5), null, 'the old replies left the window');
  });

  it('names kernel addresses by the nearest symbol at or below, and nothing outside the image', () => {
    const profile = loadProfile(join(OS, 'kernel.elf'));
    const t = new SymbolTable(profile);
    assert.equal(t.lookup(profile.syscallEntry), 'syscall_entry');
    assert.equal(t.lookup(profile.syscallEntry + 3n), 'syscall_entry+0x3');
    assert.equal(t.lookup(0x400000n), '', 'user space');
    assert.equal(t.lookup(profile.symbols.get('__kernel_end')!), '', 'past the image');
    const vma = profile.symbols.get('KERNEL_VMA')!;
    assert.equal(t.lookup(profile.syscallEntry - vma), 'syscall_entry', 'a physical RIP before paging is the image\'s');
    assert.equal(new SymbolTable(undefined).lookup(profile.syscallEntry), '', 'no profile, no names');
  });

  it('keeps the newest bytes of the console', () => {
    const c = new SerialConsole(8);
    for (const b of Buffer.from('hello')) c.write(b);
    assert.equal(c.text(), 'hello');
    for (const b of Buffer.from(', world')) c.write(b);
    assert.equal(c.text(), 'o, world');
    assert.equal(c.written, 12);
  });

  it('counts events per second over the last second, by reason', () => {
    const tally = new EventTally(new SymbolTable(undefined), 0);
    const ev = (reason: string): VmiEvent => ({ reason, vcpu: 0, seq: 1n, sync: false, regs: { rip: 0n, cr3: 0n }, data: { gla: 0x1000n } }) as unknown as VmiEvent;
    for (let i = 0; i < 4; i++) tally.see(ev('cpuid'), 100);
    assert.deepEqual(tally.tick(250), { cpuid: 16 }, '4 events in the first 250 ms');
    tally.see(ev('softwareBreakpoint'), 300);
    assert.deepEqual(tally.tick(500), { cpuid: 8, softwareBreakpoint: 2 }, 'both ticks: 5 events in 500 ms');
    for (const at of [750, 1000]) tally.tick(at);
    assert.deepEqual(tally.tick(1250), { cpuid: 0, softwareBreakpoint: 1 }, 'the last second: (250, 1250]');
    tally.tick(1500);
    assert.deepEqual(tally.tick(1750), { cpuid: 0, softwareBreakpoint: 0 }, 'a second later the rates are back to 0');
    assert.equal(tally.breakpoints.get(0x1000n)?.hits, 1);
  });
});
