/**
 * `npm run bench:sdk`: the SDK (src/introspect) against the demo OS, on the
 * embedded transport and on NATS (a real nats-server). Prints JSON on stdout;
 * progress on stderr.
 *
 * Breakpoints: one SDK breakpoint (Breakpoints, automatic step-over) from
 * 'sched: init started' to the guest's power-off, on 1 and 4 vCPUs, against
 * baseline runs of the same guest with nothing inserted. The demo OS mostly
 * computes, so hits/s over a run is bounded by the guest, not the breakpoint;
 * what a hit costs is the run's extra wall time per hit. Runs take about a
 * second and vary by tenths, hence repeats and medians.
 *
 * readVA: the kernel image read in 4 KiB pieces through `vmi.readVA`, with the
 * domain not paused (one request per read), paused by the session with the
 * caches flushed before each pass (cold) and filled (warm), and unpaused while
 * the guest runs (it shares this thread with the transport).
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { Domain, RunOutcome } from '../src/hypervisor/vm/domain.js';
import { Breakpoints } from '../src/introspect/breakpoints.js';
import type { CacheStats } from '../src/introspect/memory.js';
import { loadProfile } from '../src/introspect/os/profile.js';
import { Vmi } from '../src/introspect/vmi.js';
import type { DomainLink } from '../src/monitor/link.js';
import { LocalLink } from '../src/monitor/local-link.js';
import { Monitor } from '../src/monitor/monitor.js';
import { NatsMonitorBridge } from '../src/monitor/nats.js';
import { NatsLink } from '../src/monitor/nats-link.js';
import { boot, checkOs, OS } from '../test/support/demo-os.js';
import { startNatsServer } from '../test/support/nats-server.js';
import { otherLoadMeter } from './host-load.js';
import { natsServerVersion, requestReplyFloor } from './request-reply-floor.js';
import { latencySummary, median } from './stats.js';

const KERNEL = join(OS, 'kernel.elf');
const profile = loadProfile(KERNEL);
/** Paging and the kernel's own page tables are up by then, and init has made no system call yet. */
const STARTED = 'sched: init started';
const GUEST_OK = 'shutdown: init exited with code 0';
const VCPUS = [1, 4];
/**
 * Where the breakpoint goes. syscall_entry is hit once per system call (~80 a run);
 * trap_dispatch, once per interrupt (every timer tick on every vCPU: ~3x as many). A
 * hit still being stepped over when the guest powers off never completes: only possible
 * on vCPUs other than the one powering off, and not for syscall_entry, whose last hit
 * (init's exit) must be stepped over for the guest to shut down at all.
 */
const SYMBOLS = [
  { name: 'syscall_entry', mayEndMidStep: false },
  { name: 'trap_dispatch', mayEndMidStep: true },
] as const;
/** Runs of each kind per configuration, interleaved (baseline, then each symbol) so that drift hits all alike. */
const REPEATS = 3;
const READ_VCPUS = 1;
const CHUNK = 4096;
/** Each readVA phase repeats whole passes until it has run this long (and at least MIN_PASSES). */
const PHASE_SECONDS = 0.5;
const MIN_PASSES = 3;
/** Reads of a running guest stop here if the guest has not finished (the run alone takes ~0.7 s). */
const RUNNING_CAP_SECONDS = 1;

type TransportName = 'embedded' | 'nats';

const progress = (s: string): void => { process.stderr.write(`bench:sdk: ${s}\n`); };
const secondsSince = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;
const round = (x: number, digits: number): number => Number(x.toFixed(digits));
const hex = (x: bigint): string => `0x${x.toString(16)}`;

/** A Monitor for `domain` served on one transport, and a client link to it. */
async function serve(transport: TransportName, domain: Domain, natsUrl: string): Promise<{ link: DomainLink; close(): Promise<void> }> {
  const monitor = new Monitor(domain);
  if (transport === 'embedded') return { link: new LocalLink(monitor), close: async () => {} };
  // As test/support/transports.ts: the bridge on one connection, the client on its own.
  const service = await connect({ servers: natsUrl }), client = await connect({ servers: natsUrl });
  const bridge = new NatsMonitorBridge(monitor, service);
  await service.flush(); // its subscriptions must be on the server before the first request
  const link = new NatsLink(client, domain.name);
  return { link, close: async () => { await bridge.close(); await link.close(); await client.close(); await service.close(); } };
}

/**
 * `inner`, timing each breakpoint hit on the client side: from its event's arrival to the
 * reply to that vCPU's next single-step event being sent, the reply that lets the vCPU go
 * on after the step-over (queueing behind other vCPUs' step-overs included). The event's
 * way from the guest to the client, and the reply's back, are not in it.
 */
function timedLink(inner: DomainLink, holdsUs: number[]): DomainLink {
  // Keyed by the step event's seq, not the vCPU: over NATS the vCPU's next hit may arrive
  // before the reply that released it has been acknowledged.
  const hitAt = new Map<number, bigint>(), stepOf = new Map<bigint, bigint>();
  return {
    domain: inner.domain,
    observe: (onEvent) => inner.observe(onEvent),
    request: (op, req, rep, q) => inner.request(op, req, rep, q),
    close: () => inner.close(),
    control: async (onEvent, opts) => {
      const c = await inner.control((m) => {
        const reason = m.reason?.$case, hit = hitAt.get(m.vcpu);
        if (reason === 'softwareBreakpoint') hitAt.set(m.vcpu, process.hrtime.bigint());
        else if (reason === 'singleStep' && hit !== undefined) { stepOf.set(m.seq, hit); hitAt.delete(m.vcpu); }
        onEvent(m);
      }, opts);
      return {
        session: c.session,
        detach: () => c.detach(),
        reply: (r) => {
          const hit = r.seq === undefined ? undefined : stepOf.get(r.seq);
          if (hit !== undefined) { stepOf.delete(r.seq!); holdsUs.push(Number(process.hrtime.bigint() - hit) / 1e3); }
          return c.reply(r);
        },
      };
    },
  };
}

/** Boot the demo OS and run it in slices of guest time until init has started (test/introspect/vmi.test.ts). */
async function bootStarted(vcpus: number): Promise<{ domain: Domain; serial: () => string }> {
  const booted = boot(KERNEL, vcpus);
  while (!booted.serial().includes(STARTED)) {
    const o = await booted.domain.run(booted.domain.instructions + 20_000);
    if (o.kind !== 'limit') throw new Error(`the guest stopped (${o.kind}) before printing "${STARTED}"`);
  }
  return booted;
}

/** The guest's own verdict: a number measured on a guest that went wrong is worthless. */
function checkGuest(outcome: RunOutcome, serial: string, vcpus: number): void {
  if (outcome.kind !== 'exit' || !serial.includes(GUEST_OK)) {
    throw new Error(`the guest did not finish well (${outcome.kind}):\n${serial.slice(-2000)}`);
  }
  checkOs(serial, vcpus);
}

const kernelSyscalls = (serial: string): number => Number(/stats: total: .* syscalls=(\d+)/.exec(serial)![1]);

interface BreakpointRun {
  seconds: number;
  holdsUs: number[];
  bp?: { va: string; hits: number; stepOvers: number; unfinished: number; foreign: number; vcpusHit: number; kernelSyscalls: number };
}

/** One guest run from init's start to power-off, with one breakpoint in it or (undefined) none. */
async function breakpointRun(transport: TransportName, natsUrl: string, vcpus: number, symbol: (typeof SYMBOLS)[number] | undefined): Promise<BreakpointRun> {
  const { domain, serial } = await bootStarted(vcpus);
  const served = await serve(transport, domain, natsUrl);
  try {
    const holdsUs: number[] = [];
    const vmi = await Vmi.attach(timedLink(served.link, holdsUs), { profile });
    const syscallsBefore = (await vmi.processes()).reduce((n, p) => n + p.syscalls, 0);
    const bps = new Breakpoints(vmi);
    const va = symbol && vmi.symbol(symbol.name);
    const bp = va === undefined ? undefined : await bps.insert(va);
    const vcpusHit = new Set<number>();
    bp?.hits$.subscribe((e) => vcpusHit.add(e.vcpu));
    const t0 = process.hrtime.bigint();
    const outcome = await domain.runForever();
    const seconds = secondsSince(t0);
    checkGuest(outcome, serial(), vcpus);
    await bps.removeAll(); // also waits for the last step-over's reply to be acknowledged
    await vmi.close();
    if (!symbol || !bp) return { seconds, holdsUs };
    const { stepOvers, foreign } = bps.stats;
    const unfinished = bp.hits - stepOvers;
    if (unfinished < 0 || unfinished > (symbol.mayEndMidStep ? vcpus - 1 : 0)) {
      throw new Error(`${symbol.name}: ${bp.hits} hits but ${stepOvers} step-overs`);
    }
    if (holdsUs.length !== stepOvers) throw new Error(`${symbol.name}: ${stepOvers} step-overs but ${holdsUs.length} timed`);
    const syscalls = kernelSyscalls(serial()) - syscallsBefore;
    if (symbol.name === 'syscall_entry' && bp.hits !== syscalls) throw new Error(`syscall_entry: ${bp.hits} hits, but the kernel counted ${syscalls} system calls`);
    return { seconds, holdsUs, bp: { va: hex(va!), hits: bp.hits, stepOvers, unfinished, foreign, vcpusHit: vcpusHit.size, kernelSyscalls: syscalls } };
  } finally {
    await served.close();
  }
}

interface Phase {
  passes: number;
  bytes: number;
  seconds: number;
  MBps: number;
  readUs: number;
  passMs: ReturnType<typeof latencySummary>;
  cache: CacheStats;
}

function statsDelta(after: CacheStats, before: CacheStats): CacheStats {
  return {
    pageHits: after.pageHits - before.pageHits, pageMisses: after.pageMisses - before.pageMisses,
    translationHits: after.translationHits - before.translationHits, translationMisses: after.translationMisses - before.translationMisses,
  };
}

/** readVA throughput, one transport: the phases described at the top, on one booted guest. */
async function readVaRun(transport: TransportName, natsUrl: string): Promise<Record<string, unknown>> {
  const { domain, serial } = await bootStarted(READ_VCPUS);
  const served = await serve(transport, domain, natsUrl);
  try {
    const vmi = await Vmi.attach(served.link, { profile });
    const start = vmi.symbol('__kernel_start'), end = vmi.symbol('__kernel_end');
    const size = Number(end - start), readsPerPass = Math.ceil(size / CHUNK);
    const pass = async (): Promise<Uint8Array> => {
      const out = new Uint8Array(size);
      for (let off = 0; off < size; off += CHUNK) out.set(await vmi.readVA(start + BigInt(off), Math.min(CHUNK, size - off)), off);
      return out;
    };
    // Untimed: warms the JIT, caches the kernel's DTB, and is what every later pass must equal
    // (the guest is not run until the last phase, so its memory cannot change before).
    const reference = await pass();
    const phase = async (name: string, beforePass: () => void): Promise<Phase> => {
      progress(`${transport}: readVA ${name}`);
      const stats0 = { ...vmi.memory.stats }, passMs: number[] = [];
      for (let total = 0; passMs.length < MIN_PASSES || total < PHASE_SECONDS;) {
        beforePass();
        const t0 = process.hrtime.bigint();
        const bytes = await pass();
        const s = secondsSince(t0);
        total += s;
        passMs.push(s * 1e3);
        if (Buffer.compare(bytes, reference) !== 0) throw new Error(`readVA ${name}: a pass read different bytes`);
      }
      const seconds = passMs.reduce((a, b) => a + b, 0) / 1e3, bytes = size * passMs.length;
      return {
        passes: passMs.length, bytes, seconds: round(seconds, 4), MBps: round(bytes / seconds / 1e6, 2),
        readUs: round((seconds * 1e6) / (readsPerPass * passMs.length), 1), passMs: latencySummary(passMs, 2),
        cache: statsDelta(vmi.memory.stats, stats0),
      };
    };
    const unpaused = await phase('unpaused (guest stopped between slices)', () => {});
    await vmi.pause();
    const cold = await phase('paused, cold (flushed before each pass)', () => vmi.memory.flush());
    vmi.memory.flush();
    await pass(); // fills the caches for the warm passes
    const warm = await phase('paused, warm', () => {});
    await vmi.resume();

    // The guest and the transport share this thread: an embedded client's reads are microtasks
    // that never let the domain's run loop have a turn, and a NATS read waits for the domain to
    // yield (every 2M instructions). So also count the guest's instructions during the reads.
    progress(`${transport}: readVA unpaused while the guest runs`);
    let finished = false;
    const running = domain.runForever().then((o) => { finished = true; return o; });
    let reads = 0, bytes = 0;
    const instructions0 = domain.instructions, t0 = process.hrtime.bigint();
    for (let off = 0; !finished && secondsSince(t0) < RUNNING_CAP_SECONDS; off = (off + CHUNK) % size) {
      bytes += (await vmi.readVA(start + BigInt(off), Math.min(CHUNK, size - off))).length;
      reads++;
    }
    const runningSeconds = secondsSince(t0), guestInstructions = domain.instructions - instructions0, guestFinished = finished;
    checkGuest(await running, serial(), READ_VCPUS);
    await vmi.close();
    return {
      transport, vcpus: READ_VCPUS, region: { from: '__kernel_start', to: '__kernel_end', va: hex(start), bytes: size }, readBytes: CHUNK,
      unpaused, pausedCold: cold, pausedWarm: warm,
      unpausedGuestRunning: {
        reads, bytes, seconds: round(runningSeconds, 4), MBps: round(bytes / runningSeconds / 1e6, 2),
        readUs: reads ? round((runningSeconds * 1e6) / reads, 1) : null, guestInstructions, guestFinished,
      },
    };
  } finally {
    await served.close();
  }
}

/** Breakpoint runs for one transport and vCPU count: REPEATS baselines and REPEATS runs per symbol. */
async function breakpointRuns(transport: TransportName, natsUrl: string, vcpus: number): Promise<Record<string, unknown>[]> {
  const baseline: number[] = [], runs = new Map<string, BreakpointRun[]>(SYMBOLS.map((s) => [s.name, []]));
  for (let k = 1; k <= REPEATS; k++) {
    progress(`${transport}, ${vcpus} vCPU(s), ${k}/${REPEATS}: baseline, ${SYMBOLS.map((s) => s.name).join(', ')}`);
    baseline.push((await breakpointRun(transport, natsUrl, vcpus, undefined)).seconds);
    for (const symbol of SYMBOLS) runs.get(symbol.name)!.push(await breakpointRun(transport, natsUrl, vcpus, symbol));
  }
  return SYMBOLS.map((symbol) => {
    const rs = runs.get(symbol.name)!, bps = rs.map((r) => r.bp!);
    const hits = bps.map((b) => b.hits), seconds = rs.map((r) => r.seconds);
    const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
    return {
      transport, vcpus, symbol: symbol.name, va: bps[0]!.va, repeats: REPEATS,
      hits, stepOvers: bps.map((b) => b.stepOvers), unfinishedAtPowerOff: bps.map((b) => b.unfinished), foreignInt3: bps.map((b) => b.foreign),
      vcpusHit: Math.max(...bps.map((b) => b.vcpusHit)),
      ...(symbol.name === 'syscall_entry' ? { kernelSyscalls: bps.map((b) => b.kernelSyscalls) } : {}),
      seconds: seconds.map((x) => round(x, 3)), hitsPerSecond: Math.round(sum(hits) / sum(seconds)),
      hitHoldsVcpuUs: latencySummary(rs.flatMap((r) => r.holdsUs)),
      baselineSeconds: baseline.map((x) => round(x, 3)),
      overheadPerHitMs: round(((median(seconds) - median(baseline)) / median(hits)) * 1e3, 2),
    };
  });
}

async function main(): Promise<void> {
  const server = await startNatsServer();
  try {
    const otherLoad = otherLoadMeter([server.pid]);
    progress('warm-up run (embedded, 4 vCPUs, trap_dispatch), not measured');
    await breakpointRun('embedded', server.url, 4, SYMBOLS[1]);
    const runs: Record<string, unknown>[] = [];
    const readVA: Record<string, unknown>[] = [];
    for (const transport of ['embedded', 'nats'] as const) {
      for (const vcpus of VCPUS) runs.push(...(await breakpointRuns(transport, server.url, vcpus)));
      readVA.push(await readVaRun(transport, server.url));
    }
    const floor = await requestReplyFloor(server.url, { warmup: 500, requests: 2_000 }, progress);
    console.log(JSON.stringify({
      benchmark: 'sdk',
      server: natsServerVersion(),
      host: { cpu: cpus()[0]?.model ?? 'unknown', cpus: cpus().length, node: process.version, otherLoadCores: otherLoad() },
      guest: { kernel: 'guests/build/os/kernel.elf', insertedAfter: STARTED, check: GUEST_OK },
      units: {
        seconds: 'wall clock, from the insert to the guest powering off',
        hitsPerSecond: 'all hits / all seconds of the runs with the breakpoint',
        hitHoldsVcpuUs: 'per hit, client side: its event arriving to the accepted reply that lets the vCPU go after the step',
        overheadPerHitMs: '(median seconds - median baselineSeconds) / median hits: noisy, runs vary by tenths of a second',
        MBps: '10^6 bytes per second',
      },
      runs,
      readVA,
      natsRequestReplyFloor: floor,
    }, null, 2));
  } finally {
    await server.stop();
  }
}

await main();
