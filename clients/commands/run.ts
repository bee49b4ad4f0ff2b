/** `tsvmi run`: boot a kernel and mirror its serial console. */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { LoaderError } from '../../src/hypervisor/vm/errors.js';
import { inGuestTimeOrder } from '../../src/hypervisor/vcpu/trace-log.js';
import { formatTrace } from '../../src/introspect/trace.js';
import { Domain, MAX_MEM_MIB, vectorName, type RunOutcome } from '../../src/hypervisor/vm/domain.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { AUDIT_MAX_MSGS, ensureAuditStream } from '../../src/monitor/audit.js';
import { NatsMonitorBridge } from '../../src/monitor/nats.js';
import { connect } from '@nats-io/transport-node';
import { Vmi } from '../../src/introspect/vmi.js';
import { LocalLink } from '../../src/monitor/local-link.js';
import { attachHint, formatAddress, parseListen, serveGdbHeld, type ListenAddress } from './gdbsx.js';
import type { GdbServer } from '../../src/gdbsx/server.js';
import { profileOf, UsageError } from './target.js';
import type { Profile } from '../../src/introspect/os/profile.js';
import { runPaced } from './paced-run.js';
import { localDirectory } from '../dashboard/directory.js';
import { SerialConsole } from '../dashboard/serial-console.js';
import { serveDashboard, type DashboardServer } from '../dashboard/server.js';

export const RUN_USAGE = `usage: tsvmi run KERNEL.elf [options]

Boot KERNEL.elf and print its serial console (COM1) on stdout.

Kernels boot through the Xen PVH entry note or a Multiboot v1 header, like
qemu-system-x86_64 -kernel.

options:
  --vcpus N              virtual CPUs (default 1); APs start with INIT-SIPI-SIPI
  --mem MiB              guest RAM in MiB (default 64)
  --vendor intel|amd     CPU personality (default intel)
  --max-instructions N   stop after N retired instructions
  --nmi T[:CPU]          raise an NMI at guest time T (retired instructions) on
                         vCPU CPU (default 0) or on 'all', like bhyvectl
                         --assert-lapic-lvt=1; may be repeated
  --stats                print per-vCPU statistics (exits by reason, injected
                         events, vNMI unblocked precisely/speculatively) at exit
  --trace FILE           write the per-vCPU exit and injection trace, ktrdump
                         style, to FILE ('-' for stderr)
  --trace-guest-exceptions
                         intercept, log and reflect every guest exception
  --json                 print the outcome as JSON on stderr at the end

introspection (without --nats or --gdb the domain runs unmonitored, with no server):
  --nats URL             serve the domain's monitor events and control plane on
                         this nats-server (subjects tsvmi.v1.NAME.…, see
                         deploy/nats/README.md); credentials go in the URL
                         (nats://user:password@host:port)
  --name NAME            domain name, one NATS subject token (default: the
                         kernel file's name without its extension)
  --paused               start paused, like 'xl create -p': a client configures
                         the monitor, then sends control.resume
  --ring-slots N         monitor ring slots (default 64)
  --unattended MS:ACTION when sync events have waited MS milliseconds with no
                         controller attached, answer them with ACTION (drop or
                         reinject), each one reported on stderr; without it
                         they wait, their vCPUs paused, for the next controller
  --audit                also keep every event in a JetStream stream,
                         TSVMI_AUDIT_NAME (the server needs JetStream: -js),
                         up to the last ${AUDIT_MAX_MSGS.toLocaleString('en')} events

monitoring:
  --http [HOST:]PORT     serve the live dashboard and Prometheus /metrics on
                         PORT (loopback unless HOST is given); the page may pause
                         and resume the domain unless gdb or a NATS client is
                         its controller. The page stays up after the guest ends,
                         until Ctrl-C
  --mips N               run the guest no faster than N million instructions
                         per second of wall time (the demo OS ends in about two
                         seconds otherwise: too fast to watch); the guest sees
                         no difference

debugging (gdbsx in this process, as QEMU's -s -S):
  --gdb [HOST:]PORT      serve the GDB remote protocol on PORT (loopback unless
                         HOST is given; 0 picks a free port); the guest waits
                         before its first instruction until gdb attaches, and
                         gdb's 'continue' starts it
  --gdb-no-wait          with --gdb: start the guest at once; gdb may attach
                         while it runs
  gdb's session is the domain's controller while gdb is attached, and only
  then: with --nats too, 'tsvmi strace' may be the controller while no gdb is
  (and is refused, BUSY, while one is). --paused is a second pause, which a
  control.resume undoes.

  -h, --help             show this help

exit status:
  the guest's isa-debug-exit status ((value << 1) | 1) when it writes port 0xf4;
  0 when every vCPU halts with nothing left to wake it; 2 on usage errors;
  3 when the guest crashes (a triple fault); 4 when --max-instructions is
  reached; 1 on other errors (a missing or bad kernel file).`;

/**
 * `tsvmi trace`: like `run --trace -`, but the trace is the output (stdout)
 * and the serial console goes to stderr, as ktrdump prints KTR after the fact.
 */
export function traceCommand(args: string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    console.log(`usage: tsvmi trace KERNEL.elf [run options]\n\nBoot KERNEL.elf and print the per-vCPU trace of exits and injections (index,\nvCPU, guest time, event). Takes the options of 'tsvmi run'.`);
    return Promise.resolve(0);
  }
  return runCommand(args, { traceToStdout: true });
}

export async function runCommand(args: string[], mode: { traceToStdout?: boolean } = {}): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args, allowPositionals: true,
      options: {
        vcpus: { type: 'string' }, mem: { type: 'string' }, vendor: { type: 'string' }, 'max-instructions': { type: 'string' },
        nmi: { type: 'string', multiple: true }, stats: { type: 'boolean' }, trace: { type: 'string' }, 'trace-guest-exceptions': { type: 'boolean' },
        json: { type: 'boolean' }, nats: { type: 'string' }, name: { type: 'string' }, paused: { type: 'boolean' }, 'ring-slots': { type: 'string' }, audit: { type: 'boolean' }, unattended: { type: 'string' },
        gdb: { type: 'string' }, 'gdb-no-wait': { type: 'boolean' }, http: { type: 'string' }, mips: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    console.error(`tsvmi run: ${(e as Error).message}\n${RUN_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) { console.log(RUN_USAGE); return 0; }
  if (positionals.length !== 1) { console.error(`tsvmi run: expected one kernel file\n${RUN_USAGE}`); return 2; }
  const vendor = values.vendor ?? 'intel';
  if (vendor !== 'intel' && vendor !== 'amd') { console.error(`tsvmi run: --vendor must be intel or amd, not '${vendor}'`); return 2; }
  const mem = values.mem === undefined ? 64 : Number(values.mem);
  const vcpus = values.vcpus === undefined ? 1 : Number(values.vcpus);
  const max = values['max-instructions'] === undefined ? Infinity : Number(values['max-instructions']);
  if (!Number.isInteger(mem) || mem < 2 || mem > MAX_MEM_MIB) { console.error(`tsvmi run: --mem must be a whole number of MiB from 2 to ${MAX_MEM_MIB}`); return 2; }
  if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > 64) { console.error(`tsvmi run: --vcpus must be a whole number from 1 to 64`); return 2; }
  if (!(max > 0)) { console.error(`tsvmi run: --max-instructions must be a positive number`); return 2; }

  const slots = values['ring-slots'] === undefined ? 64 : Number(values['ring-slots']);
  if (!Number.isInteger(slots) || slots < 1) { console.error('tsvmi run: --ring-slots must be a positive whole number'); return 2; }
  const name = values.name ?? basename(positionals[0]!).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_-]/g, '_');
  if (!/^[A-Za-z0-9_-]+$/.test(name)) { console.error(`tsvmi run: --name must be letters, digits, '_' or '-' (one NATS subject token), not '${name}'`); return 2; }
  if (values.paused && values.nats === undefined) { console.error('tsvmi run: --paused needs --nats (nothing else could resume the domain)'); return 2; }
  if (values.audit && values.nats === undefined) { console.error('tsvmi run: --audit needs --nats (the audit log is a JetStream stream)'); return 2; }
  let gdbAt: ListenAddress | undefined;
  if (values.gdb !== undefined) {
    try {
      gdbAt = parseListen(values.gdb, '--gdb');
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      console.error(`tsvmi run: ${e.message}`);
      return 2;
    }
  }
  if (values['gdb-no-wait'] && gdbAt === undefined) { console.error('tsvmi run: --gdb-no-wait needs --gdb'); return 2; }
  let httpAt: ListenAddress | undefined;
  if (values.http !== undefined) {
    try {
      httpAt = parseListen(values.http, '--http');
    } catch (e) {
      console.error(`tsvmi run: ${(e as Error).message}`);
      return 2;
    }
  }
  const mips = values.mips === undefined ? undefined : Number(values.mips);
  if (mips !== undefined && !(mips > 0)) { console.error('tsvmi run: --mips must be a positive number'); return 2; }
  let unattended: Unattended | undefined;
  if (values.unattended !== undefined) {
    const m = /^(\d+):(drop|reinject)$/.exec(values.unattended);
    if (!m) { console.error(`tsvmi run: --unattended takes MS:drop or MS:reinject, not '${values.unattended}'`); return 2; }
    if (values.nats === undefined) { console.error('tsvmi run: --unattended needs --nats (without it there are no events)'); return 2; }
    unattended = { ms: Number(m[1]), action: m[2] as 'drop' | 'reinject' };
  }

  const nmis: { at: number; target: number | 'all' }[] = [];
  for (const spec of values.nmi ?? []) {
    const m = /^(\d+)(?::(\d+|all))?$/.exec(spec);
    if (!m) { console.error(`tsvmi run: --nmi takes T[:CPU|all], not '${spec}'`); return 2; }
    const target = m[2] === undefined ? 0 : m[2] === 'all' ? 'all' : Number(m[2]);
    if (target !== 'all' && target >= vcpus) { console.error(`tsvmi run: --nmi names vCPU ${target}, but there are ${vcpus}`); return 2; }
    nmis.push({ at: Number(m[1]), target });
  }
  nmis.sort((a, b) => a.at - b.at);

  const path = positionals[0]!;
  let image: Uint8Array;
  try {
    image = readFileSync(path);
  } catch (e) {
    console.error(`tsvmi run: cannot read kernel '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return 1;
  }
  const out: number[] = [];
  const console_ = mode.traceToStdout ? process.stderr : process.stdout;
  let consoleOnNats: ((bytes: Uint8Array) => void) | undefined; // set once the domain is served
  const flush = (): void => {
    if (!out.length) return;
    const chunk = Uint8Array.from(out);
    out.length = 0;
    console_.write(chunk);
    consoleOnNats?.(chunk);
  };
  const serial = httpAt ? new SerialConsole() : undefined; // the dashboard's copy of the console
  const vm = new Domain({ name, vcpus, memMiB: mem, vendor, serialOut: (b: number) => { out.push(b); serial?.write(b); if (b === 10 || out.length >= 4096) flush(); } });
  try {
    vm.load(image);
  } catch (e) {
    if (e instanceof LoaderError) { console.error(`tsvmi run: ${path}: ${e.message}`); return 1; }
    throw e;
  }
  // Standard input feeds the serial console, as with QEMU's -serial stdio; it must not keep us alive.
  const onInput = (b: Buffer): void => vm.receiveSerial(b);
  process.stdin.on('data', onInput);
  // A terminal or pipe is a socket we can unref; a file or /dev/null ends by itself.
  (process.stdin as { unref?: () => void }).unref?.();
  if (values['trace-guest-exceptions']) for (const v of vm.vcpus) { v.traceGuestExceptions = true; v.syncIntercepts(); }
  // One Monitor per domain: NATS and gdbsx (a client on the embedded link) share it.
  const monitor = values.nats !== undefined || gdbAt || httpAt ? newMonitor(vm, slots, unattended) : undefined;
  // Symbols for gdb's sessions and the dashboard, read once (any kernel runs; only the demo OS has offsets).
  const profile = gdbAt || httpAt ? profileOf({ kernel: path }, false) : undefined;
  let served: Served | undefined;
  if (values.nats !== undefined) {
    // Paused before it is served: a client that finds it on NATS must find it paused.
    if (values.paused) monitor!.pause();
    try {
      served = await serveOnNats(vm, monitor!, values.nats, { audit: values.audit === true });
    } catch (e) {
      console.error(`tsvmi run: cannot serve on NATS at ${values.nats}: ${(e as Error).message}`);
      return 1;
    }
    consoleOnNats = served.console;
    console.error(`tsvmi: domain ${name} served on ${values.nats}${values.paused ? ', paused until control.resume' : ''}`);
  }
  let gdb: { server: GdbServer } | undefined;
  if (gdbAt) {
    try {
      gdb = await serveGdbInProcess(monitor!, profile, gdbAt, !values['gdb-no-wait']);
    } catch (e) {
      console.error(`tsvmi run: cannot serve gdb on ${formatAddress(gdbAt.host, gdbAt.port)}: ${(e as Error).message}`);
      await served?.close();
      return 1;
    }
    const waiting = values['gdb-no-wait'] ? '' : ', paused before its first instruction until gdb attaches and continues';
    console.error(`tsvmi: gdbsx for domain ${name} on ${formatAddress(gdbAt.host, gdb.server.port)}${waiting}; ${attachHint(gdbAt.host, gdb.server.port, path)}`);
  }
  let dashboard: DashboardServer | undefined;
  if (httpAt) {
    try {
      dashboard = await serveDashboard({
        domains: localDirectory(monitor!, { profile, console: serial }),
        host: httpAt.host, port: httpAt.port,
        // gdb's session, or a NATS client, is the controller then: the page observes.
        controller: !gdbAt && values.nats === undefined,
      });
    } catch (e) {
      console.error(`tsvmi run: cannot serve the dashboard on ${formatAddress(httpAt.host, httpAt.port)}: ${(e as Error).message}`);
      await gdb?.server.close();
      await served?.close();
      return 1;
    }
    console.error(`tsvmi: dashboard on ${dashboard.url} (Prometheus metrics at ${dashboard.url.replace(/\/$/, '')}/metrics)`);
    console.error(tryHints(path, name, values.nats));
  }
  const started = process.hrtime.bigint();
  const outcome = await runWithNmis(vm, max, nmis, monitor !== undefined, mips);
  flush();
  if (dashboard) {
    // The page (and gdb) stay up to show how the guest ended, until Ctrl-C.
    console.error(`tsvmi: the guest ended (${outcome.kind}); the dashboard stays up until Ctrl-C`);
    await new Promise<void>((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); });
    await dashboard.close();
  }
  await gdb?.server.close();
  await served?.close();
  process.stdin.off('data', onInput);
  flush();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (values.json) console.error(JSON.stringify({ ...outcome, seconds }));
  if (values.stats) console.error(JSON.stringify({ vendor, vcpus: vm.vcpus.map((v) => ({ vcpu: v.id, ...v.stats.toJSON() })) }, null, 2));
  if (values.trace !== undefined || mode.traceToStdout) {
    const text = formatTrace(inGuestTimeOrder(vm.vcpus.flatMap((v) => v.trace.entries()))) + '\n';
    if (mode.traceToStdout) process.stdout.write(text);
    else if (values.trace === '-') process.stderr.write(text); else writeFileSync(values.trace!, text);
  }
  switch (outcome.kind) {
    case 'exit': return outcome.status;
    case 'idle': console.error(`tsvmi: guest halted for good after ${outcome.instructions} instructions`); return 0;
    case 'paused': console.error('tsvmi: the domain was paused and nothing will resume it'); return 1;
    case 'limit': console.error(`tsvmi: stopped at the ${outcome.instructions}-instruction limit`); return 4;
    case 'crash': {
      const c = outcome.crash;
      const first = c.vector === undefined ? '' : ` after ${vectorName(c.vector)} (error code ${c.errorCode})`;
      console.error(`tsvmi: vCPU ${c.vcpu} crashed: ${c.reason}${first}, rip=0x${c.rip.toString(16)}\n${outcome.registers}`);
      return 3;
    }
  }
}

/**
 * Run to the end, stopping at each requested NMI time to raise it (guest time: total
 * retired instructions). A served domain waits through pauses for its clients.
 */
async function runWithNmis(vm: Domain, max: number, nmis: { at: number; target: number | 'all' }[], served: boolean, mips: number | undefined): Promise<RunOutcome> {
  const run = async (limit: number): Promise<RunOutcome> => {
    if (mips === undefined) return served ? vm.runForever(limit) : vm.run(limit);
    const o = await runPaced(vm, mips, limit).done;
    return o.kind === 'stopped' ? { kind: 'limit', instructions: o.instructions } : o;
  };
  for (const n of nmis) {
    if (n.at >= max) break;
    const o = await run(n.at);
    if (o.kind !== 'limit') return o;
    vm.injectNmi(n.target);
  }
  return run(max);
}

interface Served { console(bytes: Uint8Array): void; close(): Promise<void> }

interface Unattended { ms: number; action: 'drop' | 'reinject' }

function newMonitor(vm: Domain, slots: number, u: Unattended | undefined): Monitor {
  return new Monitor(vm, {
    slots,
    ...(u ? {
      noControllerTimeoutMs: u.ms, defaultAction: u.action,
      onDefaultAction: (e, action) => console.error(`tsvmi: no controller for ${u.ms} ms: event ${e.seq} (${e.reason}, vCPU ${e.vcpu}) answered with ${action}`),
    } : {}),
  });
}

/**
 * gdbsx on the embedded link, attached now as the controller. With `wait`, the domain
 * is held paused until the first gdb session has it stopped (QEMU's -S).
 */
async function serveGdbInProcess(monitor: Monitor, profile: Profile | undefined, at: ListenAddress, wait: boolean): Promise<{ server: GdbServer }> {
  if (wait) monitor.pause(); // QEMU's -S: held before its first instruction until the first gdb has it
  const server = await serveGdbHeld(() => Vmi.attach(new LocalLink(monitor), profile ? { profile } : {}), at, wait ? () => monitor.resume() : undefined);
  return { server };
}

/** What to try next, printed when the dashboard is up (the one-command demo, `npm start`). */
function tryHints(kernel: string, name: string, nats: string | undefined): string {
  const tsvmi = 'node dist/clients/tsvmi.js';
  const target = nats === undefined ? kernel : `--nats ${nats} --domain ${name}`;
  return [
    'tsvmi: try, in another terminal:',
    `  ${tsvmi} ps ${target}`,
    `  ${tsvmi} strace ${target}${nats === undefined ? '   (embedded: each boots its own copy of the kernel)' : ''}`,
  ].join('\n');
}


async function serveOnNats(vm: Domain, monitor: Monitor, url: string, opts: { audit: boolean }): Promise<Served> {
  const nc = await connect({ servers: url, name: `tsvmi ${vm.name}` });
  if (opts.audit) {
    try {
      await ensureAuditStream(nc, vm.name);
    } catch (e) {
      await nc.close();
      throw new Error(`no audit stream: ${(e as Error).message}`, { cause: e });
    }
  }
  const bridge = new NatsMonitorBridge(monitor, nc);
  await nc.flush(); // the subscriptions are on the server before anyone is told the domain is there
  return { console: (bytes) => bridge.publishConsole(bytes), close: async () => { await bridge.close(); await nc.drain(); } };
}
