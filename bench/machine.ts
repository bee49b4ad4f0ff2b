/**
 * `npm run bench:machine`: whole-machine numbers for the demo OS
 * (guests/build/os/kernel.elf), measured in one run:
 *
 * - tsvmi with 1, 2 and 4 vCPUs: wall seconds and guest instructions to the
 *   end of boot ("sched: init started as pid 1") and to the end of the run,
 *   and MIPS over the whole run (long-mode paged code, LAPIC timer ticking);
 * - QEMU TCG on the same image: wall seconds from process start to the same
 *   serial lines, and its start-to-banner time (process start-up + SeaBIOS),
 *   which tsvmi does not have to pay;
 * - the resident-memory cost of a 64 MiB and a 256 MiB guest booted to the
 *   same line, each in a fresh Node process so that earlier domains and the
 *   benchmark's own heap do not blur the delta.
 *
 * Every configuration runs SAMPLES times, each in a fresh Domain or process,
 * and reports the median and all samples; the tsvmi runs come after
 * WARMUP_RUNS runs that the medians leave out. Wall times are only as good as
 * the host is quiet: `host.otherLoadCores` says how busy it was meanwhile.
 * Prints JSON on stdout; progress on stderr.
 */
import { fork, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Domain } from '../src/hypervisor/vm/domain.js';

const OS = join(process.cwd(), 'guests/build/os');
const KERNEL = join(OS, 'kernel.elf');
const SAMPLES = 3;
/**
 * 1-vCPU runs before any measurement. Guest MIPS keeps rising over the first
 * few Domains in a process (about 45 → 90 here) as V8 optimises the
 * interpreter and the block compiler's output; without this the first
 * configuration measured would be penalised. The runs are reported too: the
 * first one is what a fresh `tsvmi run` sees.
 */
const WARMUP_RUNS = 5;
const VCPU_COUNTS = [1, 2, 4];
const MEMORY_MIB = [64, 256];
const QEMU_TIMEOUT_MS = 60_000;
/** isa-debug-exit status, (value << 1) | 1 on both machines, for the guest's 0. */
const GUEST_SUCCESS = 1;
/** Argument that makes this script a child process measuring one guest's memory. */
const MEMORY_CHILD = '--memory-sample';

/** Serial lines whose arrival is timed; each is the first line containing the text. */
const MARKERS = {
  banner: 'tsvmi-os 0.1:',
  boot: 'sched: init started as pid 1',
  shutdown: 'shutdown: init exited with code 0',
} as const;
type Marker = keyof typeof MARKERS;
const CHECKSUM = /^\[\d+:bench\] done: (checksum=\w+)/;

const progress = (msg: string): void => { process.stderr.write(`bench:machine: ${msg}\n`); };
const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;
const MiB = (bytes: number): number => bytes / (1 << 20);

/**
 * A guest's serial output as lines, calling back when a marker line completes
 * (so the caller can read clocks and counters at that moment).
 */
class SerialLog {
  readonly lines: string[] = [];
  private partial = '';
  private readonly seen = new Set<Marker>();

  constructor(private readonly onMarker: (m: Marker) => void) {}

  write(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop()!;
    for (const line of parts) this.line(line);
  }

  /** The bench processes' checksum lines (there are two bench processes). */
  checksums(): string[] {
    return this.lines.flatMap((l) => CHECKSUM.exec(l)?.[1] ?? []);
  }

  private line(line: string): void {
    this.lines.push(line);
    for (const m of Object.keys(MARKERS) as Marker[]) {
      if (!this.seen.has(m) && line.includes(MARKERS[m])) {
        this.seen.add(m);
        this.onMarker(m);
      }
    }
  }
}

type TsvmiSample = {
  bannerSeconds: number;
  bootSeconds: number;
  bootInstructions: number;
  shutdownSeconds: number;
  seconds: number;
  instructions: number;
  mips: number;
};

/** One whole demo-OS run in a fresh Domain; the clock starts before the Domain is built. */
async function runTsvmi(vcpus: number, expected: string): Promise<TsvmiSample> {
  const at: Partial<Record<Marker, { seconds: number; instructions: number }>> = {};
  const start = process.hrtime.bigint();
  // Counters are read when the marker's newline is written: exact to within
  // the current basic block, and the run itself is not disturbed by stopping.
  const log = new SerialLog((m) => { at[m] = { seconds: seconds(start), instructions: domain.instructions }; });
  const domain: Domain = new Domain({ vcpus, memMiB: 64, serialOut: (b) => log.write(String.fromCharCode(b)) });
  domain.load(readFileSync(KERNEL));
  const outcome = await domain.run();
  const s = seconds(start);
  if (outcome.kind !== 'exit' || outcome.status !== GUEST_SUCCESS) throw new Error(`tsvmi, ${vcpus} vCPUs: ${JSON.stringify(outcome)}`);
  checkWork(`tsvmi, ${vcpus} vCPUs`, log, expected);
  return {
    bannerSeconds: at.banner!.seconds,
    bootSeconds: at.boot!.seconds,
    bootInstructions: at.boot!.instructions,
    shutdownSeconds: at.shutdown!.seconds,
    seconds: s,
    instructions: outcome.instructions,
    mips: outcome.instructions / s / 1e6,
  };
}

type QemuSample = { bannerSeconds: number; bootSeconds: number; shutdownSeconds: number; exitSeconds: number };

/** The options of test/support/qemu.ts, so that both machines get the same devices. */
const qemuArgs = (smp: number): string[] => [
  '-kernel', KERNEL, '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot',
  '-m', '64', '-smp', String(smp), '-accel', 'tcg', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
];

/** One QEMU run, timing marker lines as they arrive on its stdout. */
function runQemu(smp: number, expected: string): Promise<QemuSample> {
  return new Promise((resolve, reject) => {
    const at: Partial<Record<Marker, number>> = {};
    const start = process.hrtime.bigint();
    const log = new SerialLog((m) => { at[m] = seconds(start); });
    const child = spawn('qemu-system-x86_64', qemuArgs(smp), { stdio: ['ignore', 'pipe', 'inherit'] });
    const timer = setTimeout(() => child.kill(), QEMU_TIMEOUT_MS);
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (text: string) => log.write(text));
    child.on('error', (e) => { clearTimeout(timer); reject(new Error(`qemu-system-x86_64 failed to run: ${e.message} (scripts/ensure-tools.sh installs it)`)); });
    child.on('close', (status) => {
      const exitSeconds = seconds(start);
      clearTimeout(timer);
      try {
        if (status !== GUEST_SUCCESS) throw new Error(`QEMU, ${smp} CPUs: exit status ${status}`);
        checkWork(`QEMU, ${smp} CPUs`, log, expected);
        resolve({ bannerSeconds: at.banner!, bootSeconds: at.boot!, shutdownSeconds: at.shutdown!, exitSeconds });
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** Both bench processes must have printed the checksum the hosted build of their work computes. */
function checkWork(who: string, log: SerialLog, expected: string): void {
  const sums = log.checksums();
  if (sums.length !== 2 || sums.some((s) => s !== expected)) throw new Error(`${who}: bench checksums ${JSON.stringify(sums)}, expected 2 × ${expected}`);
  for (const m of Object.keys(MARKERS) as Marker[]) {
    if (!log.lines.some((l) => l.includes(MARKERS[m]))) throw new Error(`${who}: no "${MARKERS[m]}" line`);
  }
}

type MemorySample = {
  rssMiB: number;
  guestResidentMiB: number;
  overheadMiB: number;
  rssMinusGuestSizeMiB: number;
  arrayBuffersMiB: number;
  externalMiB: number;
  heapUsedMiB: number;
};

/**
 * Resident size of the guest RAM's mapping, from /proc/self/smaps. Guest RAM
 * is one zero-filled ArrayBuffer that the allocator gets from mmap, so it is
 * the anonymous read-write mapping of the guest's size (plus malloc's header
 * page), and only the pages touched so far are resident.
 */
function guestResidentMiB(memMiB: number): number {
  const kib = memMiB * 1024;
  for (const mapping of readFileSync('/proc/self/smaps', 'latin1').split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)) {
    const size = Number(/\nSize:\s+(\d+) kB/.exec(mapping)?.[1]), rss = Number(/\nRss:\s+(\d+) kB/.exec(mapping)?.[1]);
    if (/^\S+ rw-p 0+ 00:00 0\s*$/.test(mapping.split('\n')[0]!) && size >= kib && size <= kib + 8) return rss / 1024;
  }
  throw new Error(`no ${memMiB} MiB anonymous mapping in /proc/self/smaps for the guest RAM`);
}

/**
 * In a child process: growth of process memory from before the Domain is
 * built to the boot marker. arrayBuffers counts all of guest RAM at once,
 * while rss counts only the pages touched, by the guest or by tsvmi; so
 * tsvmi's own cost is rss growth minus the guest's resident pages, not
 * minus the guest's size.
 */
async function memorySample(memMiB: number): Promise<MemorySample> {
  const before = process.memoryUsage();
  let after: NodeJS.MemoryUsage | undefined;
  let guestMiB = 0;
  const log = new SerialLog((m) => {
    if (m !== 'boot') return;
    after = process.memoryUsage();
    guestMiB = guestResidentMiB(memMiB);
  });
  const domain = new Domain({ vcpus: 1, memMiB, serialOut: (b) => log.write(String.fromCharCode(b)) });
  domain.load(readFileSync(KERNEL));
  // Run to the end rather than stop at the marker: Domain.run does not return on a stop request alone.
  const outcome = await domain.run();
  if (outcome.kind !== 'exit' || outcome.status !== GUEST_SUCCESS || after === undefined) throw new Error(`${memMiB} MiB guest: ${JSON.stringify(outcome)}`);
  const rssMiB = MiB(after.rss - before.rss);
  return {
    rssMiB,
    guestResidentMiB: guestMiB,
    overheadMiB: rssMiB - guestMiB,
    rssMinusGuestSizeMiB: rssMiB - memMiB,
    arrayBuffersMiB: MiB(after.arrayBuffers - before.arrayBuffers),
    externalMiB: MiB(after.external - before.external),
    heapUsedMiB: MiB(after.heapUsed - before.heapUsed),
  };
}

/** Runs memorySample in a fresh Node process (this script with MEMORY_CHILD) and returns its answer. */
function memoryInChild(memMiB: number): Promise<MemorySample> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [MEMORY_CHILD, String(memMiB)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let answer: MemorySample | undefined;
    child.on('message', (m) => { answer = m as MemorySample; });
    child.on('error', reject);
    child.on('exit', (code) => (answer ? resolve(answer) : reject(new Error(`memory sample for ${memMiB} MiB exited with ${code}`))));
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Field-by-field medians of samples that all have the same numeric fields. */
function medians<T extends Record<string, number>>(samples: T[]): T {
  const keys = Object.keys(samples[0]!) as (keyof T & string)[];
  return Object.fromEntries(keys.map((k) => [k, median(samples.map((s) => s[k]))])) as T;
}

async function repeat<T>(label: string, sample: () => Promise<T>, times = SAMPLES): Promise<T[]> {
  const out: T[] = [];
  for (let k = 1; k <= times; k++) {
    progress(`${label} (${k}/${times})...`);
    out.push(await sample());
  }
  return out;
}

/** tsvmi's time over QEMU's, from process/Domain start and from the banner (leaving out QEMU's start-up and firmware). */
function ratios(t: TsvmiSample, q: QemuSample): Record<string, number> {
  return {
    boot: t.bootSeconds / q.bootSeconds,
    shutdown: t.shutdownSeconds / q.shutdownSeconds,
    bootAfterBanner: (t.bootSeconds - t.bannerSeconds) / (q.bootSeconds - q.bannerSeconds),
    shutdownAfterBanner: (t.shutdownSeconds - t.bannerSeconds) / (q.shutdownSeconds - q.bannerSeconds),
  };
}

/**
 * CPU seconds used on the host so far by everything else than this process
 * and its children (QEMU, memory samples), from /proc: wall times are only
 * comparable when this stayed low, and a shared machine may be busy.
 */
function otherCpuSeconds(): number {
  const HZ = 100; // USER_HZ, the unit of both files on Linux
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const host = readFileSync('/proc/stat', 'latin1').split('\n')[0]!.split(/\s+/).slice(1, 9).map(Number);
  const busy = host.reduce((a, b) => a + b, 0) - host[3]! - host[4]!;
  const own = readFileSync('/proc/self/stat', 'latin1').split(') ')[1]!.split(' ').slice(11, 15).map(Number); // utime, stime, cutime, cstime
  return (busy - own.reduce((a, b) => a + b, 0)) / HZ;
}

/** The checksum line of build/os/bench.expected, which the hosted build of the bench's work wrote. */
function expectedChecksum(): string {
  const line = readFileSync(join(OS, 'bench.expected'), 'latin1').split('\n').find((l) => l.startsWith('done: checksum='));
  if (!line) throw new Error('guests/build/os/bench.expected has no checksum line');
  return line.slice('done: '.length);
}

async function main(): Promise<void> {
  if (!existsSync(KERNEL)) throw new Error('guests are not built: run `npm run guests`');
  const expected = expectedChecksum();
  const start = process.hrtime.bigint(), otherStart = otherCpuSeconds();
  const warmup = await repeat('warm-up: tsvmi, 1 vCPU, demo OS', () => runTsvmi(1, expected), WARMUP_RUNS);
  const perVcpus = [];
  for (const n of VCPU_COUNTS) {
    const tsvmi = await repeat(`tsvmi, ${n} vCPU(s), demo OS`, () => runTsvmi(n, expected));
    const qemu = await repeat(`QEMU TCG, -smp ${n}, demo OS`, () => runQemu(n, expected));
    const t = medians(tsvmi), q = medians(qemu);
    perVcpus.push({ vcpus: n, tsvmi: { median: t, samples: tsvmi }, qemu: { median: q, samples: qemu }, tsvmiOverQemu: ratios(t, q) });
  }
  const memory = [];
  for (const mib of MEMORY_MIB) {
    const samples = await repeat(`memory, ${mib} MiB guest booted to "${MARKERS.boot}" in a fresh process`, () => memoryInChild(mib));
    memory.push({ guestMiB: mib, median: medians(samples), samples });
  }
  const otherLoadCores = (otherCpuSeconds() - otherStart) / seconds(start);
  console.log(JSON.stringify({
    benchmark: 'machine',
    host: { cpu: cpus()[0]?.model ?? 'unknown', cpus: cpus().length, node: process.version, otherLoadCores },
    image: 'guests/build/os/kernel.elf',
    markers: MARKERS,
    benchChecksum: expected,
    samples: SAMPLES,
    warmup,
    runs: perVcpus,
    memory,
  }, null, 2));
}

async function memoryChild(memMiB: number): Promise<void> {
  const sample = await memorySample(memMiB);
  process.send!(sample);
  process.disconnect();
}

const fail = (e: unknown): void => {
  console.error(`bench:machine: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
};
if (process.argv[2] === MEMORY_CHILD) memoryChild(Number(process.argv[3])).catch(fail);
else main().catch(fail);
