/**
 * A real gdb driven through its machine interface (gdb manual, "GDB/MI"), for
 * the tests that need gdb asynchronous: interrupting a running target, or
 * counting stop records one resume at a time. Commands carry a token; their
 * result record (`^done`, `^running`, `^error`) answers them, and `*stopped`
 * records are kept in order for `nextStop`.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface MiRecord { kind: string; text: string }

export class GdbMi {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = '';
  private token = 0;
  private readonly pending = new Map<number, { resolve: (r: MiRecord) => void; reject: (e: Error) => void }>();
  private readonly stops: string[] = [];
  private stopWaiter: ((text: string) => void) | undefined;
  /** Everything gdb printed on its console stream (`~"…"`) and log stream (`&"…"`). */
  console = '';

  constructor(args: string[] = []) {
    this.child = spawn('gdb', ['--interpreter=mi3', '-nx', '-q', ...args]);
    this.child.stdout.setEncoding('latin1').on('data', (d: string) => this.take(d));
    this.child.stderr.setEncoding('latin1').on('data', (d: string) => { this.console += d; });
  }

  /** Run an MI or CLI command; resolves with its result record, rejects on ^error. */
  command(cmd: string): Promise<MiRecord> {
    const token = ++this.token;
    return new Promise((resolve, reject) => {
      this.pending.set(token, { resolve, reject });
      this.child.stdin.write(`${token}${cmd.startsWith('-') ? cmd : `-interpreter-exec console ${JSON.stringify(cmd)}`}\n`);
    });
  }

  /** The next `*stopped` record's fields text (e.g. `reason="breakpoint-hit",…`). */
  nextStop(timeoutMs = 30_000): Promise<string> {
    const ready = this.stops.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.stopWaiter = undefined; reject(new Error(`no stop within ${timeoutMs} ms\n${this.console}`)); }, timeoutMs);
      this.stopWaiter = (text) => { clearTimeout(timer); resolve(text); };
    });
  }

  /** Stops not consumed yet (a test checks there are no extra ones). */
  get unconsumedStops(): readonly string[] { return this.stops; }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end('-gdb-exit\n');
    // A gdb waiting on a target that never stops does not read its input: kill it.
    const kill = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(kill);
  }

  private take(data: string): void {
    this.buffer += data;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      this.line(line);
    }
  }

  private line(line: string): void {
    const m = /^(\d*)([\^*=~&@])(.*)$/.exec(line);
    if (!m) return; // the (gdb) prompt
    const [, token, sigil, rest] = m;
    if (sigil === '~' || sigil === '&' || sigil === '@') { this.console += cString(rest!); return; }
    if (sigil === '*' && rest!.startsWith('stopped')) {
      const text = rest!.slice('stopped,'.length);
      if (this.stopWaiter) { const w = this.stopWaiter; this.stopWaiter = undefined; w(text); } else this.stops.push(text);
      return;
    }
    if (sigil === '^' && token) {
      const p = this.pending.get(Number(token));
      if (!p) return;
      this.pending.delete(Number(token));
      const [kind, text = ''] = rest!.split(/,(.*)/s);
      if (kind === 'error') p.reject(new Error(`gdb: ${text}\n${this.console}`));
      else p.resolve({ kind: kind!, text });
    }
  }
}

/** One field of an MI record's text, e.g. `field(stop, 'thread-id')`. */
export function field(text: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|[,{])${name}="((?:[^"\\\\]|\\\\.)*)"`).exec(text);
  return m ? cString(`"${m[1]}"`) : undefined;
}

/** An MI c-string's text. */
function cString(s: string): string {
  if (!s.startsWith('"')) return s;
  return s.slice(1, -1).replace(/\\(n|t|"|\\|[0-7]{3})/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c.length === 3 ? String.fromCharCode(Number.parseInt(c, 8)) : c));
}
