/**
 * `npm run bench:gdb`: a stock gdb driving the demo OS (1 vCPU) through three
 * stubs, with the same gdb script in the same run:
 *
 * - embedded: `tsvmi run kernel.elf --gdb 0` (gdbsx in the domain's process);
 * - nats: `tsvmi run --nats --paused` and `tsvmi gdbsx --nats` in two
 *   processes, through a real nats-server;
 * - qemu: `qemu-system-x86_64 -kernel kernel.elf -gdb tcp:… -S -accel tcg`,
 *   QEMU's own gdbstub, the bar a kernel developer compares against.
 *
 * The script stops at kmain (the first C code; the kernel image is mapped at
 * its link address by then on both machines), times STEPS `stepi`s, then
 * CONTINUES `continue`s to a breakpoint on put_buffer, timed inside gdb
 * (python, time.perf_counter) so that process start-up and attach are not in
 * the numbers. put_buffer is called per character by the kernel's formatter,
 * ~440 times on the boot path before the first timer-driven work, so the
 * CONTINUES hits come from the same printk calls on both machines whatever
 * their timing; only the formatted numbers (addresses from the firmware)
 * differ a little, and so may the instruction after the last stepi (reported).
 *
 * Each target runs REPEATS times in fresh processes, interleaved so that drift
 * hits all alike; medians and every sample are reported. After gdb has gone,
 * the tsvmi guests must run on to their normal end (gdb's kill is a detach
 * for gdbsx): a number measured on a guest the debugger broke is worthless.
 * Prints JSON on stdout; progress on stderr.
 */
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OS } from '../test/support/demo-os.js';
import { startNatsServer, type NatsServer } from '../test/support/nats-server.js';
import { startNode, startProcess, type Started } from '../test/support/node-process.js';
import { otherLoadMeter } from './host-load.js';
import { natsServerVersion } from './request-reply-floor.js';
import { median } from './stats.js';

const KERNEL = join(OS, 'kernel.elf');
const TSVMI = join(process.cwd(), 'dist/clients/tsvmi.js');
const STEPS = 2_000;
const CONTINUES = 300;
const STEP_FROM = 'kmain';
const BREAK_ON = 'put_buffer';
const REPEATS = 3;
const GUEST_OK = 'shutdown: init exited with code 0';
/** How long a target may take to listen, and a tsvmi guest to finish after gdb. */
const START_MS = 15_000;
const FINISH_MS = 60_000;

const TARGETS = ['embedded', 'nats', 'qemu'] as const;
type TargetName = (typeof TARGETS)[number];

const progress = (s: string): void => { process.stderr.write(`bench:gdb: ${s}\n`); };
const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/** A stub gdb can attach to, and how to end it once gdb is done. */
interface Stub { port: number; finish(): Promise<{ guestOk: boolean | null }> }

const children = new Set<Started>();
process.on('exit', () => { for (const c of children) c.child.kill('SIGKILL'); });

function start(command: string, args: string[]): Started {
  const s = command === 'node' ? startNode(args) : startProcess(command, args);
  children.add(s);
  void s.exited.then(() => children.delete(s));
  return s;
}

async function stop(s: Started): Promise<void> {
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
  await s.exited;
}

/** Wait until `s` has written a line matching `re` on stderr; its first group, if any. */
async function waitFor(s: Started, re: RegExp, what: string): Promise<string> {
  const deadline = Date.now() + START_MS;
  for (;;) {
    const m = re.exec(s.io.err);
    if (m) return m[1] ?? m[0];
    if (s.child.exitCode !== null || Date.now() > deadline) throw new Error(`${what} did not start:\n${s.io.err}${s.io.out.slice(-2000)}`);
    await sleep(20);
  }
}

/** A tsvmi process whose guest must now run to its end (gdb has detached). */
async function guestEnds(run: Started): Promise<boolean> {
  const timer = setTimeout(() => run.child.kill('SIGKILL'), FINISH_MS);
  await run.exited;
  clearTimeout(timer);
  return run.io.out.includes(GUEST_OK);
}

const GDBSX_PORT = /on (?:gdb port )?127\.0\.0\.1:(\d+)/;

async function embedded(): Promise<Stub> {
  const run = start('node', [TSVMI, 'run', KERNEL, '--gdb', '0']);
  const port = Number(await waitFor(run, GDBSX_PORT, 'tsvmi run --gdb'));
  return { port, finish: async () => ({ guestOk: await guestEnds(run) }) };
}

let domains = 0;
async function overNats(server: NatsServer): Promise<Stub> {
  const name = `gdbbench${++domains}`;
  const run = start('node', [TSVMI, 'run', KERNEL, '--nats', server.url, '--name', name, '--paused']);
  await waitFor(run, /served on/, 'tsvmi run --nats');
  // --kernel: the profile lets gdbsx place breakpoints in the kernel before it turns paging on.
  const gdbsx = start('node', [TSVMI, 'gdbsx', '--nats', server.url, '--domain', name, '--listen', '0', '--kernel', KERNEL]);
  const port = Number(await waitFor(gdbsx, GDBSX_PORT, 'tsvmi gdbsx'));
  return {
    port,
    finish: async () => {
      const guestOk = await guestEnds(run);
      await stop(gdbsx); // it also ends by itself once the domain has gone
      return { guestOk };
    },
  };
}

/** A free loopback port for QEMU, which cannot pick one itself (a small race, fine for a benchmark). */
async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** Whether something listens on 127.0.0.1:port, read from /proc (a probe connection would be a gdb session to QEMU). */
function listening(port: number): boolean {
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'latin1').split('\n').some((l) => { const f = l.trim().split(/\s+/); return f[1] === want && f[3] === '0A'; });
}

async function qemu(): Promise<Stub> {
  const port = await freePort();
  const q = start('qemu-system-x86_64', [
    '-kernel', KERNEL, '-display', 'none', '-serial', 'null', '-monitor', 'none', '-no-reboot',
    '-m', '64', '-smp', '1', '-accel', 'tcg', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
    '-gdb', `tcp:127.0.0.1:${port}`, '-S',
  ]);
  const deadline = Date.now() + START_MS;
  while (!listening(port)) {
    if (q.child.exitCode !== null || Date.now() > deadline) throw new Error(`qemu did not listen on ${port}:\n${q.io.err}`);
    await sleep(20);
  }
  return { port, finish: async () => { await stop(q); return { guestOk: null } as const; } };
}

/** The gdb script: identical for every target but the port. Results come back as `BENCH {json}` lines. */
function script(port: number): string {
  return [
    'set pagination off', 'set confirm off',
    `file ${KERNEL}`,
    `target remote 127.0.0.1:${port}`,
    `break ${STEP_FROM}`, 'continue', 'delete',
    'python',
    'import json, time',
    `steps = ${STEPS}`,
    'start = int(gdb.parse_and_eval("$pc"))',
    't0 = time.perf_counter()',
    'for _ in range(steps):',
    '    gdb.execute("stepi", to_string=True)',
    'dt = time.perf_counter() - t0',
    'print("BENCH " + json.dumps({"what": "stepi", "n": steps, "seconds": dt, "from": hex(start), "to": hex(int(gdb.parse_and_eval("$pc")))}))',
    `bp = gdb.Breakpoint("${BREAK_ON}")`,
    'bp.silent = True',
    `n = ${CONTINUES}`,
    't0 = time.perf_counter()',
    'for _ in range(n):',
    '    gdb.execute("continue", to_string=True)',
    'dt = time.perf_counter() - t0',
    'print("BENCH " + json.dumps({"what": "continue", "n": n, "seconds": dt, "hits": bp.hit_count, "pc": hex(int(gdb.parse_and_eval("$pc")))}))',
    'end',
    'kill',
  ].join('\n') + '\n';
}

interface Sample { stepiSeconds: number; continueSeconds: number; stepiFrom: string; stepiTo: string; hits: number; guestOk: boolean | null }

async function measure(target: TargetName, server: NatsServer, dir: string): Promise<Sample> {
  const stub = target === 'embedded' ? await embedded() : target === 'nats' ? await overNats(server) : await qemu();
  const file = join(dir, `${target}.gdb`);
  writeFileSync(file, script(stub.port));
  const gdb = start('gdb', ['-batch', '-nx', '-x', file]);
  const code = await gdb.exited;
  const { guestOk } = await stub.finish();
  const results = [...gdb.io.out.matchAll(/^BENCH (.*)$/gm)].map((m) => JSON.parse(m[1]!) as Record<string, unknown>);
  const stepi = results.find((r) => r['what'] === 'stepi'), cont = results.find((r) => r['what'] === 'continue');
  if (code !== 0 || !stepi || !cont) throw new Error(`${target}: gdb exited with ${code} and ${results.length} results:\n${gdb.io.out.slice(-3000)}${gdb.io.err}`);
  if (cont['hits'] !== CONTINUES) throw new Error(`${target}: ${CONTINUES} continues but ${String(cont['hits'])} breakpoint hits:\n${gdb.io.err}`);
  if (guestOk === false) throw new Error(`${target}: the guest did not run to its normal end after gdb detached`);
  return {
    stepiSeconds: stepi['seconds'] as number, continueSeconds: cont['seconds'] as number,
    stepiFrom: stepi['from'] as string, stepiTo: stepi['to'] as string, hits: cont['hits'] as number, guestOk,
  };
}

function gdbVersion(): string {
  return execFileSync('gdb', ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
}

function qemuVersion(): string {
  return execFileSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
}

async function main(): Promise<void> {
  const server = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'tsvmi-bench-gdb-'));
  try {
    // The targets and gdb are this process's children: once reaped, their CPU time counts as ours.
    const otherLoad = otherLoadMeter([server.pid]);
    const samples = new Map<TargetName, Sample[]>(TARGETS.map((t) => [t, []]));
    for (let k = 1; k <= REPEATS; k++) {
      for (const target of TARGETS) {
        progress(`${k}/${REPEATS}: ${target}`);
        const s = await measure(target, server, dir);
        progress(`  ${Math.round(STEPS / s.stepiSeconds)} stepi/s, ${Math.round(CONTINUES / s.continueSeconds)} continues/s`);
        samples.get(target)!.push(s);
      }
    }
    const rate = (t: TargetName, n: number, key: 'stepiSeconds' | 'continueSeconds'): number => n / median(samples.get(t)!.map((s) => s[key]));
    const summary = Object.fromEntries(TARGETS.map((t) => {
      const ss = samples.get(t)!;
      return [t, {
        stepiPerSecond: Math.round(rate(t, STEPS, 'stepiSeconds')),
        continuesPerSecond: Math.round(rate(t, CONTINUES, 'continueSeconds')),
        stepiUs: round((median(ss.map((s) => s.stepiSeconds)) / STEPS) * 1e6, 1),
        continueUs: round((median(ss.map((s) => s.continueSeconds)) / CONTINUES) * 1e6, 1),
        samples: ss.map((s) => ({ ...s, stepiSeconds: round(s.stepiSeconds, 3), continueSeconds: round(s.continueSeconds, 3) })),
      }];
    }));
    const ratio = (t: TargetName, key: 'stepiSeconds' | 'continueSeconds', n: number): number => round(rate(t, n, key) / rate('qemu', n, key), 3);
    console.log(JSON.stringify({
      benchmark: 'gdb',
      tools: { gdb: gdbVersion(), qemu: qemuVersion(), natsServer: natsServerVersion() },
      host: { cpu: cpus()[0]?.model ?? 'unknown', cpus: cpus().length, node: process.version, otherLoadCores: otherLoad() },
      guest: { kernel: 'guests/build/os/kernel.elf', vcpus: 1, stepiFrom: STEP_FROM, breakpoint: BREAK_ON },
      method: { stepi: STEPS, continues: CONTINUES, repeats: REPEATS, timedIn: 'gdb python, time.perf_counter, around the loop of gdb.execute calls' },
      units: {
        stepiPerSecond: 'stepi / median seconds of the stepi loop',
        continuesPerSecond: 'continue-to-breakpoint round trips / median seconds of the continue loop',
        stepiUs: 'median microseconds per stepi, gdb included', continueUs: 'median microseconds per continue, gdb included',
      },
      targets: summary,
      ratios: {
        stepi: { embeddedOverQemu: ratio('embedded', 'stepiSeconds', STEPS), natsOverQemu: ratio('nats', 'stepiSeconds', STEPS) },
        continue: { embeddedOverQemu: ratio('embedded', 'continueSeconds', CONTINUES), natsOverQemu: ratio('nats', 'continueSeconds', CONTINUES) },
      },
    }, null, 2));
  } finally {
    for (const c of children) await stop(c);
    await server.stop();
  }
}

await main();
