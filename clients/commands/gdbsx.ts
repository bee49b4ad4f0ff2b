/**
 * `tsvmi gdbsx`: a stock gdb on a domain, as Xen's gdbsx. An SDK client that
 * attaches as the domain's controller (over NATS, or to a kernel it boots
 * itself) and serves gdb's remote protocol on a TCP port. Also the listen
 * address parsing and the "wait for gdb" hand-over that `tsvmi run --gdb` uses.
 */
import { parseArgs } from 'node:util';
import { DomainState, PauseRequest, ResumeRequest, StatusReply } from '../../src/generated/tsvmi/v1/control.js';
import { serveGdb, type GdbServer, type VmiSource } from '../../src/gdbsx/server.js';
import { typed } from '../../src/introspect/errors.js';
import { DEFAULT_KERNEL, failure, lossSignal, openTarget, profileOf, TARGET_OPTIONS, TARGET_USAGE, UsageError, untilDone, type Target } from './target.js';

export const GDBSX_USAGE = `usage: tsvmi gdbsx [target] [--listen [HOST:]PORT]

Serve the GDB remote protocol for a domain: gdb attaches with
'target remote HOST:PORT' and sees one thread per vCPU. One gdb at a time;
when it detaches (or Ctrl-C here) its breakpoints are removed and the domain
runs on.

A domain that is paused when gdbsx attaches (started with 'tsvmi run --nats
--paused', or embedded) stays paused until gdb attaches, and gdb's first
'continue' runs it, like QEMU's -s -S.

  --listen [HOST:]PORT   where to listen (default 127.0.0.1:1234; loopback
                         unless you name another address; port 0 picks a
                         free one)
  KERNEL.elf             embedded: the kernel to boot (same as --kernel)
  -h, --help

${TARGET_USAGE}`;

export const DEFAULT_GDB_PORT = 1234;

export interface ListenAddress { host: string; port: number }

/** `PORT`, `HOST:PORT` or `[V6]:PORT`; the host defaults to loopback (gdbsx exposes guest memory to anyone who connects). */
export function parseListen(spec: string, option: string): ListenAddress {
  const m = /^(?:(?:\[([^\]]+)\]|([^:[\]]+)):)?(\d+)$/.exec(spec);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`${option} takes [HOST:]PORT (port 0..65535), not '${spec}'`);
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

export const formatAddress = (host: string, port: number): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/** The line that tells the user where gdb goes. */
export function attachHint(host: string, port: number, kernel: string | undefined): string {
  const at = formatAddress(host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host, port);
  return `attach with: gdb ${kernel ?? 'KERNEL.elf'} -ex 'target remote ${at}'`;
}

/**
 * Serve gdb. `letGo`, when given, undoes the pause the domain is held in until a debugger
 * comes (QEMU's -S): it runs once, when the first gdb session has the domain stopped with
 * its own pause, so that gdb's continue starts the guest.
 */
export function serveGdbHeld(source: VmiSource, at: ListenAddress, letGo?: () => unknown): Promise<GdbServer> {
  let pending = letGo;
  return serveGdb(source, {
    host: at.host, port: at.port,
    onError: (e) => console.error(`tsvmi gdbsx: ${e instanceof Error ? e.message : String(e)}`),
    onAttach: () => {
      const go = pending;
      pending = undefined;
      if (go) void Promise.resolve().then(go).catch((e: unknown) => console.error(`tsvmi: could not let go of the domain's initial pause: ${(e as Error).message}`));
    },
  });
}

export async function gdbsxCommand(args: string[]): Promise<number> {
  let target: Target | undefined;
  let server: GdbServer | undefined;
  try {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...TARGET_OPTIONS, listen: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) { console.log(GDBSX_USAGE); return 0; }
    if (positionals.length > 1) throw new UsageError(`expected at most one kernel file, got ${positionals.length}`);
    if (positionals.length === 1) {
      if (values.nats !== undefined) throw new UsageError('a KERNEL.elf is booted embedded: give it without --nats, or --kernel for the profile');
      if (values.kernel !== undefined) throw new UsageError('give the kernel once: KERNEL.elf or --kernel');
      values.kernel = positionals[0];
    }
    const at = parseListen(values.listen ?? String(DEFAULT_GDB_PORT), '--listen');
    const { lost, onLost } = lossSignal();
    // gdbsx needs no OS awareness; a profile is only loaded when the kernel is known, for the SDK's symbols.
    const profile = values.nats === undefined || values.kernel !== undefined ? profileOf(values, false) : undefined;
    target = await openTarget(values, { role: 'controller', onLost, ...(profile ? { profile } : {}) });
    // Held until gdb attaches: an embedded domain from its first instruction, a served one
    // if it is paused already (`run --paused`). Through the control plane, not Vmi.pause, so
    // that the gdb session's own pause accounting stays its own.
    const vmi = target.vmi;
    const hold = target.domain !== undefined || (await vmi.status()).state === DomainState.DOMAIN_STATE_PAUSED;
    if (target.domain) await typed(vmi.link.request('control.pause', PauseRequest, StatusReply, {}));
    server = await serveGdbHeld(vmi, at, hold ? () => typed(vmi.link.request('control.resume', ResumeRequest, StatusReply, {})) : undefined);
    const name = target.domain ? 'embedded domain' : `domain ${values.domain}`;
    const kernel = values.kernel ?? (target.domain ? DEFAULT_KERNEL : undefined);
    console.error(`tsvmi gdbsx: ${name} on gdb port ${formatAddress(at.host, server.port)}${hold ? ', paused until gdb attaches and continues' : ''}; ${attachHint(at.host, server.port, kernel)}`);
    const why = await untilDone(target, lost);
    if (why === 'lost') { console.error('tsvmi gdbsx: the domain went away'); return 1; }
    if (why === 'ended') console.error('tsvmi gdbsx: the guest ended');
    return 0;
  } catch (e) {
    return failure('gdbsx', GDBSX_USAGE, e);
  } finally {
    await server?.close();
    await target?.close();
  }
}
