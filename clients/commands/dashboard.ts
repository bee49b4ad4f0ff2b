/**
 * `tsvmi dashboard`: the live web dashboard, for domains served on NATS
 * (`--nats URL --domain NAME …`) or for the demo OS booted here (no --nats).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { connect, type VmiConnection } from '../../src/introspect/connect.js';
import { VmiError } from '../../src/introspect/errors.js';
import type { ReasonName } from '../../src/introspect/event.js';
import { Domain } from '../../src/hypervisor/vm/domain.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { localDirectory, natsDirectory, type DomainDirectory } from '../dashboard/directory.js';
import { SerialConsole } from '../dashboard/serial-console.js';
import { serveDashboard } from '../dashboard/server.js';
import { REASONS } from './events.js';
import { parseListen } from './gdbsx.js';
import { runPaced } from './paced-run.js';
import { DEFAULT_KERNEL, failure, profileOf, UsageError } from './target.js';

/** Words into lines of at most `width` characters. */
const wrap = (text: string, width: number): string[] =>
  text.split(' ').reduce<string[]>((lines, w) => {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 1 + w.length <= width) lines[lines.length - 1] = `${last} ${w}`; else lines.push(w);
    return lines;
  }, []);

const USAGE = `usage: tsvmi dashboard [--nats URL --domain NAME ...] [options]

Serve the live dashboard: the domains' state, vCPUs (RIP and symbol, MIPS,
exits), events per second and reply latency, the event log, breakpoints and
single-stepping seen, the serial console; /metrics for Prometheus.

  --listen [HOST:]PORT   where to serve it (default 127.0.0.1:8080; the
                         dashboard has no login: keep it on loopback unless
                         something in front of it does that)
  --controller           hold each domain's controller session, so that the
                         page may pause and resume it (the default when
                         embedded). Over NATS this takes the one controller
                         seat: gdb or 'tsvmi strace' cannot have it meanwhile
  --observer             embedded: observe only (no pause/resume)
  --nats URL             reach domains served with 'tsvmi run --nats'
  --domain NAME          a domain on --nats to show; repeat for more (the
                         monitor publishes no announcements to find them by)
  --kernel FILE          the guest kernel: booted when embedded; its symbols
                         name the RIPs (default guests/build/os/kernel.elf)
  --vcpus N              embedded: virtual CPUs (default 2)
  --mips N               embedded: run the guest at most N million
                         instructions per second, to watch it at leisure
                         (the demo OS otherwise ends within seconds)
  --events R[,R...]      embedded: enable these events (async: copies only),
                         so that the charts show something, e.g. cr,interrupt;
                         ${wrap(`reasons: ${Object.keys(REASONS).join(', ')}`, 54).join(`\n${' '.repeat(25)}`)}
  --sync                 with --events and controller rights: sync events,
                         answered 'reinject' by the dashboard's controller
                         session (the latency chart shows those replies)
  -h, --help

Over NATS the guest's serial console is what 'tsvmi run --nats' publishes on
tsvmi.v1.NAME.console from the moment the dashboard subscribes (no history).`;

export async function dashboardCommand(args: string[]): Promise<number> {
  let close: (() => Promise<void>) | undefined;
  try {
    const { values } = parseArgs({
      args, options: {
        listen: { type: 'string' }, controller: { type: 'boolean' }, observer: { type: 'boolean' }, nats: { type: 'string' },
        domain: { type: 'string', multiple: true }, kernel: { type: 'string' }, vcpus: { type: 'string' }, mips: { type: 'string' },
        events: { type: 'string', multiple: true }, sync: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) { console.log(USAGE); return 0; }
    const at = parseListen(values.listen ?? '8080', '--listen');
    if (values.controller && values.observer) throw new UsageError('--controller and --observer contradict each other');
    const profile = profileOf({ kernel: values.kernel }, false);
    let directory: DomainDirectory, run: ReturnType<typeof runPaced> | undefined, conn: VmiConnection | undefined;
    if (values.nats !== undefined) {
      if (!values.domain?.length) throw new UsageError('--nats needs at least one --domain NAME');
      for (const opt of ['vcpus', 'mips', 'events'] as const) if (values[opt] !== undefined) throw new UsageError(`--${opt} is for an embedded domain (no --nats)`);
      const c = conn = await connect({ servers: values.nats, name: 'tsvmi dashboard' });
      close = () => c.close();
      directory = natsDirectory(conn, values.domain, { servers: values.nats, profile });
    } else {
      if (values.domain?.length) throw new UsageError('--domain needs --nats (an embedded domain is booted here)');
      const vcpus = values.vcpus === undefined ? 2 : Number(values.vcpus);
      if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > 64) throw new UsageError('--vcpus must be 1..64');
      const mips = values.mips === undefined ? undefined : Number(values.mips);
      if (mips !== undefined && !(mips > 0)) throw new UsageError('--mips must be a positive number');
      const serial = new SerialConsole();
      const domain = new Domain({ name: 'embedded', vcpus, serialOut: (b) => serial.write(b) });
      const path = values.kernel ?? DEFAULT_KERNEL;
      try {
        domain.load(readFileSync(path));
      } catch (e) {
        throw new VmiError(`cannot boot '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      directory = localDirectory(new Monitor(domain), { profile, console: serial });
      run = runPaced(domain, mips);
    }
    const controller = values.controller ?? (values.nats === undefined && !values.observer);
    const reasons = (values.events ?? []).flatMap((r) => r.split(',')).filter(Boolean)
      .map((n) => REASONS[n] ?? (() => { throw new UsageError(`unknown event reason '${n}'`); })());
    if (values.sync && (!reasons.length || !controller)) throw new UsageError('--sync needs --events and controller rights (nothing else would answer the events)');
    const dash = await serveDashboard({ domains: directory, host: at.host, port: at.port, controller });
    close = async () => { await dash.close(); await conn?.close(); };
    if (reasons.length) await enable(directory, reasons, values.sync === true);
    console.error(`tsvmi: dashboard on ${dash.url}${controller ? '' : ' (observing: no pause/resume)'}; Ctrl-C ends it`);
    void run?.done.then((o) => console.error(`tsvmi: the embedded guest ended (${o.kind}) after ${o.instructions} instructions; the dashboard stays up`));
    await interrupted();
    return 0;
  } catch (e) {
    return failure('dashboard', USAGE, e);
  } finally {
    await close?.();
  }
}

/** Turn on the events asked for in every domain listed (the settings outlive the session that made them). */
async function enable(directory: DomainDirectory, reasons: ReasonName[], sync: boolean): Promise<void> {
  for (const name of directory.names()) {
    const vmi = await directory.attach(name, { role: 'observer' });
    try {
      await vmi.monitor(Object.fromEntries(reasons.map((r) => [r, { sync }])));
    } finally {
      await vmi.close();
    }
  }
}

/** Until Ctrl-C (SIGINT) or SIGTERM. */
function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => { process.off('SIGINT', done); process.off('SIGTERM', done); resolve(); };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
