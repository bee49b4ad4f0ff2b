import { EventEmitter } from 'node:events';
/**
 * How the SDK subcommands (events, ps, strace, mem, regs, pause, resume) reach
 * a domain: over NATS (`--nats URL --domain NAME`), a domain served by `tsvmi
 * run --nats` in another process or host; or embedded (no --nats), a kernel
 * booted in this process with no server, its console on stderr.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type VmiConnection } from '../../src/introspect/connect.js';
import { VmiError } from '../../src/introspect/errors.js';
import { loadProfile, type Profile } from '../../src/introspect/os/profile.js';
import { Vmi, type AttachOptions } from '../../src/introspect/vmi.js';
import { Domain } from '../../src/hypervisor/vm/domain.js';
import { LocalLink } from '../../src/monitor/local-link.js';
import { Monitor } from '../../src/monitor/monitor.js';

export const DEFAULT_KERNEL = join(process.cwd(), 'guests/build/os/kernel.elf');

export const TARGET_OPTIONS = {
  nats: { type: 'string' }, domain: { type: 'string' }, kernel: { type: 'string' }, vcpus: { type: 'string' },
} as const;

export const TARGET_USAGE = `target (one of):
  --nats URL --domain NAME   a domain served with 'tsvmi run --nats' (any host)
  (no --nats)                embedded: boot --kernel in this process, no server;
                             its console goes to stderr
  --kernel FILE              the guest kernel: booted when embedded, and where the
                             OS profile comes from (FILE's symbols plus the
                             offsets.json beside it); default
                             guests/build/os/kernel.elf
  --vcpus N                  embedded: virtual CPUs (default 2)`;

/** A usage error: the command prints it with its usage and exits 2. */
export class UsageError extends Error {}

export interface Target {
  vmi: Vmi;
  /** The embedded domain, when there is one (the command runs it). */
  domain: Domain | undefined;
  close(): Promise<void>;
}

export interface TargetValues { nats?: string | undefined; domain?: string | undefined; kernel?: string | undefined; vcpus?: string | undefined }

/** The profile of the target's kernel, or undefined when the kernel has no offsets file. */
export function profileOf(v: TargetValues, required: boolean): Profile | undefined {
  try {
    return loadProfile(v.kernel ?? DEFAULT_KERNEL);
  } catch (e) {
    if (required) throw new VmiError(`no OS profile for ${v.kernel ?? DEFAULT_KERNEL}: ${(e as Error).message}`);
    return undefined;
  }
}

export async function openTarget(v: TargetValues, opts: AttachOptions): Promise<Target> {
  if (v.nats !== undefined) {
    if (!v.domain) throw new UsageError('--nats needs --domain NAME');
    const conn: VmiConnection = await connect({ servers: v.nats, name: 'tsvmi client' });
    try {
      const vmi = await conn.attach(v.domain, opts);
      return { vmi, domain: undefined, close: () => conn.close() };
    } catch (e) {
      await conn.close();
      throw e;
    }
  }
  if (v.domain) throw new UsageError('--domain needs --nats (an embedded domain is booted here)');
  const vcpus = v.vcpus === undefined ? 2 : Number(v.vcpus);
  if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > 64) throw new UsageError('--vcpus must be 1..64');
  const path = v.kernel ?? DEFAULT_KERNEL;
  let image: Uint8Array;
  try {
    image = readFileSync(path);
  } catch (e) {
    throw new VmiError(`cannot read kernel '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const domain = new Domain({ name: 'embedded', vcpus, serialOut: (b) => process.stderr.write(Uint8Array.of(b)) });
  domain.load(image);
  const vmi = await Vmi.attach(new LocalLink(new Monitor(domain)), opts);
  return { vmi, domain, close: () => vmi.close() };
}

/** Print an error the way every subcommand does, and give its exit status. */
export function failure(command: string, usage: string, e: unknown): number {
  if (e instanceof UsageError) { console.error(`tsvmi ${command}: ${e.message}\n${usage}`); return 2; }
  console.error(`tsvmi ${command}: ${e instanceof Error ? e.message : String(e)}`);
  return 1;
}

/**
 * Run until the work is over: an embedded domain ran to its end, the served domain went
 * away (`lost` resolves), or the user pressed Ctrl-C (SIGINT/SIGTERM). Returns why.
 */
export async function untilDone(target: Target, lost: Promise<void>): Promise<'ended' | 'lost' | 'interrupted'> {
  let onSignal!: () => void;
  const signalled = new Promise<'interrupted'>((resolve) => { onSignal = () => resolve('interrupted'); });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  outputClosed.once('closed', onSignal);
  try {
    const running = target.domain ? target.domain.runForever().then(() => 'ended' as const) : new Promise<never>(() => {});
    return await Promise.race([running, lost.then(() => 'lost' as const), signalled]);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    outputClosed.off('closed', onSignal);
  }
}

/**
 * Told when the reader of stdout went away (`| head`): a command waiting in untilDone
 * stops as if interrupted, so that it removes its breakpoints and detaches first — a
 * guest left with a tracer's int3s and nobody to answer them crashes.
 */
export const outputClosed = new EventEmitter();

/** A promise that settles when the session is lost, and the handler to pass as AttachOptions.onLost. */
export function lossSignal(): { lost: Promise<void>; onLost: () => void } {
  let onLost!: () => void;
  const lost = new Promise<void>((resolve) => { onLost = resolve; });
  return { lost, onLost };
}
