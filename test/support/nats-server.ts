/**
 * A real `nats-server` for one test (or one benchmark), on a random loopback
 * port. scripts/ensure-tools.sh installs it (Debian's `nats-server`).
 *
 * The port is chosen by the server itself (`-p -1`), which has no race with
 * other tests the way "find a free port, then start" has; the server reports
 * it in `<dir>/nats-server_<pid>.ports` (`--ports_file_dir`). `restart()`
 * starts a new process on the same port so that clients can reconnect to the
 * URL they already know.
 *
 * Every process started here is killed when the Node process exits, even
 * when a test fails before its `after` hook runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface NatsServerOptions {
  /** A nats-server config file; `-a`/`-p` on the command line override its listen address. */
  configFile?: string;
  /** Extra environment, e.g. the passwords a config reads as `$TSVMI_*_PASSWORD`. */
  env?: Record<string, string>;
  /** How long to wait for the ports file before giving up (default 10 s). */
  startTimeoutMs?: number;
  /** Enable JetStream, storing in the server's temporary directory. */
  jetstream?: boolean;
}

export interface NatsServer {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The current server process (a new one after restart()), e.g. to account for its CPU time. */
  readonly pid: number;
  /** Kill the server and wait until it has exited; idempotent. */
  stop(): Promise<void>;
  /** Stop, then start a new server on the same port with the same options. */
  restart(): Promise<void>;
}

/** nats-server could not be started, or did not say which port it listens on. */
export class NatsServerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NatsServerError';
  }
}

const BINARY = 'nats-server';
const POLL_MS = 20;
const STOP_GRACE_MS = 5_000;
/** Enough of the server's log to explain a failed start (it logs to stderr). */
const STDERR_KEEP = 16 << 10;

/** Servers still running, killed synchronously on exit (async hooks may never run then). */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Start a server; the caller must `stop()` it (a mocha `after` hook). */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tsvmi-nats-'));
  let running: Running;
  try {
    running = await launch(dir, -1, opts);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const port = running.port;
  let stopped = false;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    get pid() { return running.child.pid!; },
    async stop() {
      if (stopped) return;
      stopped = true;
      await terminate(running.child);
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      if (stopped) throw new NatsServerError('restart() after stop()');
      await terminate(running.child);
      running = await launch(dir, port, opts);
    },
  };
}

interface Running { child: ChildProcess; port: number }

async function launch(dir: string, port: number, opts: NatsServerOptions): Promise<Running> {
  const args = ['-a', '127.0.0.1', '-p', String(port), '--ports_file_dir', dir];
  if (opts.configFile) args.unshift('-c', opts.configFile);
  if (opts.jetstream) args.push('-js', '--store_dir', join(dir, 'jetstream'));
  const child = spawn(BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...opts.env } });
  live.add(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr = (stderr + s).slice(-STDERR_KEEP); });
  let exited: string | undefined;
  child.on('exit', (code, signal) => { live.delete(child); exited = `exited with ${signal ?? code}`; });
  child.on('error', (err) => {
    live.delete(child);
    exited = err.message.includes('ENOENT') ? `${BINARY} not found (scripts/ensure-tools.sh installs it)` : err.message;
  });

  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  while (exited === undefined && Date.now() < deadline) {
    const found = child.pid === undefined ? undefined : readPort(join(dir, `${BINARY}_${child.pid}.ports`));
    if (found !== undefined) return { child, port: found };
    await sleep(POLL_MS);
  }
  const why = exited ?? `wrote no ports file within ${opts.startTimeoutMs ?? 10_000} ms`;
  await terminate(child);
  throw new NatsServerError(`${BINARY} ${args.join(' ')}: ${why}\n--- stderr ---\n${stderr}`);
}

/**
 * The client port from a ports file, or undefined while it is missing or
 * half-written. The file is JSON: `{"nats":["nats://127.0.0.1:4222"],...}`.
 */
function readPort(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const ports = JSON.parse(text) as { nats?: unknown };
    const url = Array.isArray(ports.nats) ? ports.nats[0] : undefined;
    const port = typeof url === 'string' ? Number(new URL(url).port) : NaN;
    return Number.isInteger(port) && port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM, then SIGKILL if it lingers; resolves once the process is gone. */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    live.delete(child);
    return;
  }
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await gone;
  clearTimeout(timer);
  live.delete(child);
}
