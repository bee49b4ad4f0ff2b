/** `tsvmi run`: boot a kernel and mirror its serial console. */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { LoaderError } from '../../src/hypervisor/vm/errors.js';
import { formatTrace } from '../../src/hypervisor/vcpu/trace-log.js';
import { Domain, MAX_MEM_MIB, vectorName, type RunOutcome } from '../../src/hypervisor/vm/domain.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { AUDIT_MAX_MSGS, ensureAuditStream } from '../../src/monitor/audit.js';
import { NatsMonitorBridge } from '../../src/monitor/nats.js';
import { connect } from '@nats-io/transport-node';

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

introspection (without --nats the domain runs unmonitored, with no server):
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
  const flush = (): void => { if (out.length) { console_.write(Uint8Array.from(out)); out.length = 0; } };
  const vm = new Domain({ name, vcpus, memMiB: mem, vendor, serialOut: (b: number) => { out.push(b); if (b === 10 || out.length >= 4096) flush(); } });
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
  let served: Served | undefined;
  if (values.nats !== undefined) {
    try {
      served = await serveOnNats(vm, values.nats, { slots, audit: values.audit === true, ...(unattended ? { unattended } : {}) });
    } catch (e) {
      console.error(`tsvmi run: cannot serve on NATS at ${values.nats}: ${(e as Error).message}`);
      return 1;
    }
    if (values.paused) served.monitor.pause();
    console.error(`tsvmi: domain ${name} served on ${values.nats}${values.paused ? ', paused until control.resume' : ''}`);
  }
  const started = process.hrtime.bigint();
  const outcome = await runWithNmis(vm, max, nmis, served !== undefined);
  await served?.close();
  process.stdin.off('data', onInput);
  flush();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (values.json) console.error(JSON.stringify({ ...outcome, seconds }));
  if (values.stats) console.error(JSON.stringify({ vendor, vcpus: vm.vcpus.map((v) => ({ vcpu: v.id, ...v.stats.toJSON() })) }, null, 2));
  if (values.trace !== undefined || mode.traceToStdout) {
    const text = formatTrace(vm.vcpus.flatMap((v) => v.trace.entries())) + '\n';
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
async function runWithNmis(vm: Domain, max: number, nmis: { at: number; target: number | 'all' }[], served: boolean): Promise<RunOutcome> {
  const run = (limit: number): Promise<RunOutcome> => (served ? vm.runForever(limit) : vm.run(limit));
  for (const n of nmis) {
    if (n.at >= max) break;
    const o = await run(n.at);
    if (o.kind !== 'limit') return o;
    vm.injectNmi(n.target);
  }
  return run(max);
}

interface Served { monitor: Monitor; close(): Promise<void> }

interface Unattended { ms: number; action: 'drop' | 'reinject' }

async function serveOnNats(vm: Domain, url: string, opts: { slots: number; audit: boolean; unattended?: Unattended }): Promise<Served> {
  const nc = await connect({ servers: url, name: `tsvmi ${vm.name}` });
  if (opts.audit) {
    try {
      await ensureAuditStream(nc, vm.name);
    } catch (e) {
      await nc.close();
      throw new Error(`no audit stream: ${(e as Error).message}`, { cause: e });
    }
  }
  const u = opts.unattended;
  const monitor = new Monitor(vm, {
    slots: opts.slots,
    ...(u ? {
      noControllerTimeoutMs: u.ms, defaultAction: u.action,
      onDefaultAction: (e, action) => console.error(`tsvmi: no controller for ${u.ms} ms: event ${e.seq} (${e.reason}, vCPU ${e.vcpu}) answered with ${action}`),
    } : {}),
  });
  const bridge = new NatsMonitorBridge(monitor, nc);
  await nc.flush(); // the subscriptions are on the server before anyone is told the domain is there
  return { monitor, close: async () => { await bridge.close(); await nc.drain(); } };
}
