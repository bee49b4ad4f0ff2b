/**
 * gdb on the CLI's two gdbsx forms, as a user drives them: `tsvmi run --gdb`
 * (the domain waits before its first instruction, like QEMU's -s -S, and gdb's
 * continue starts it) and `tsvmi gdbsx` against a domain served by `tsvmi run
 * --nats --paused` on a real nats-server, cut off by Ctrl-C while gdb is
 * attached; then the usage errors. Every tsvmi and gdb is a child process.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseElf } from '../../src/hypervisor/vm/elf.js';
import { pvhEntry } from '../../src/hypervisor/vm/pvh.js';
import { checkOs, kernelSymbol, OS } from '../support/demo-os.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { startNode, startProcess, type Started } from '../support/node-process.js';

const TSVMI = join(process.cwd(), 'dist/clients/tsvmi.js');
const KERNEL = join(OS, 'kernel.elf');
const GUEST_OK = 'shutdown: init exited with code 0';
/** The demo OS's power-off through isa-debug-exit: (0 << 1) | 1. */
const GUEST_EXIT = 1;

/** Wait until `read()` matches `re` (or fail with what the processes said). */
async function until(read: () => string, re: RegExp, what: string, ms = 15_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = re.exec(read());
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms:\n${read()}`);
    await sleep(20);
  }
}

function gdbScript(lines: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tsvmi-gdbsx-cli-')), 'script.gdb');
  writeFileSync(file, ['set pagination off', 'set confirm off', `file ${KERNEL}`, ...lines].join('\n') + '\n');
  return file;
}

const all = (s: Started): string => s.io.out + s.io.err;
const pcs = (out: string): bigint[] => [...out.matchAll(/\$\d+ = (0x[0-9a-f]+)/g)].map((m) => BigInt(m[1]!));

describe('tsvmi gdbsx and run --gdb with the real gdb', function () {
  this.timeout(60_000);
  const started: Started[] = [];
  const start = (s: Started): Started => { started.push(s); return s; };
  afterEach(() => { for (const s of started.splice(0)) s.child.kill('SIGKILL'); });

  it('run --gdb holds the guest before its first instruction until gdb continues it; Ctrl-C in gdb, detach, and it runs to its end', async () => {
    const entry = BigInt(pvhEntry(parseElf(readFileSync(KERNEL)))!);
    const run = start(startNode([TSVMI, 'run', KERNEL, '--gdb', '0']));
    const port = (await until(() => run.io.err, /gdbsx for domain kernel on 127\.0\.0\.1:(\d+), paused before its first instruction/, 'listening line'))[1]!;
    assert.match(run.io.err, new RegExp(`attach with: gdb ${KERNEL} -ex 'target remote 127\\.0\\.0\\.1:${port}'`));
    await sleep(200);
    assert.equal(run.io.out, '', 'the guest has not run before gdb came');

    const gdb = start(startProcess('gdb', ['-batch', '-nx', '-x', gdbScript([
      `target remote 127.0.0.1:${port}`, 'print/x $pc', 'info registers rip', 'continue', 'print/x $pc', 'detach',
    ])]));
    await until(() => gdb.io.out, /\$1 = /, 'first $pc');
    assert.equal(pcs(gdb.io.out)[0], entry, `stopped on the PVH entry (0x${entry.toString(16)})`);
    // The console says the guest runs, so gdb is in its continue: interrupt it as a user's Ctrl-C does.
    await until(() => run.io.out, /tsvmi-os/, 'the guest\'s banner');
    gdb.child.kill('SIGINT');
    assert.equal(await gdb.exited, 0, all(gdb));
    assert.match(gdb.io.out, /Program received signal SIGINT/);
    assert.equal(pcs(gdb.io.out).length, 2, all(gdb));
    assert.match(gdb.io.out, /detached/);
    assert.equal(await run.exited, GUEST_EXIT, all(run));
    assert.ok(run.io.out.includes(GUEST_OK), run.io.out);
    checkOs(run.io.out, 1);
  });

  describe('over NATS', () => {
    let server: NatsServer;
    before(async () => { server = await startNatsServer(); });
    after(async () => { await server?.stop(); });

    it('gdbsx serves a paused domain: registers, a breakpoint on syscall_entry; Ctrl-C on gdbsx puts the guest back and it runs to its end', async () => {
      const syscallEntry = kernelSymbol('syscall_entry').va;
      const run = start(startNode([TSVMI, 'run', KERNEL, '--nats', server.url, '--name', 'gdbcli', '--paused']));
      await until(() => run.io.err, /served on/, 'the served domain');
      const gdbsx = start(startNode([TSVMI, 'gdbsx', '--nats', server.url, '--domain', 'gdbcli', '--listen', '127.0.0.1:0', '--kernel', KERNEL]));
      const port = (await until(() => gdbsx.io.err, /domain gdbcli on gdb port 127\.0\.0\.1:(\d+), paused until gdb attaches/, 'listening line'))[1]!;

      const gdb = start(startProcess('gdb', ['-batch', '-nx', '-x', gdbScript([
        `target remote 127.0.0.1:${port}`, 'info registers rip',
        'break syscall_entry', 'continue', 'info registers rip', 'echo READY\\n',
        'python import time; time.sleep(60)', // still attached when gdbsx is stopped (in gdb itself: no child to outlive it)
      ])]));
      await until(() => gdb.io.out, /READY/, 'the breakpoint hit', 20_000);
      const rips = [...gdb.io.out.matchAll(/^rip\s+(0x[0-9a-f]+)/gm)].map((m) => BigInt(m[1]!));
      assert.deepEqual(rips, [0x100000n, syscallEntry], gdb.io.out);
      assert.match(gdb.io.out, /Breakpoint 1, syscall_entry/);
      assert.equal(run.io.out.includes(GUEST_OK), false);

      gdbsx.child.kill('SIGINT');
      assert.equal(await gdbsx.exited, 0, all(gdbsx));
      // gdbsx took its int3 out and let go of the domain: the guest finishes as if never debugged.
      assert.equal(await run.exited, GUEST_EXIT, all(run));
      assert.ok(run.io.out.includes(GUEST_OK), run.io.out);
      checkOs(run.io.out, 1);
    });

    it('says what is wrong: usage errors exit 2, an unknown domain or server exits 1', () => {
      const cli = (...args: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [TSVMI, ...args], { encoding: 'utf8', timeout: 20_000 });
      const help = cli('gdbsx', '--help');
      assert.equal(help.status, 0);
      assert.match(String(help.stdout), /usage: tsvmi gdbsx/);
      const bad = cli('gdbsx', '--nats', server.url, '--domain', 'x', '--listen', 'here');
      assert.equal(bad.status, 2);
      assert.match(String(bad.stderr), /--listen takes \[HOST:\]PORT/);
      const unknown = cli('gdbsx', '--nats', server.url, '--domain', 'nosuch', '--listen', '0');
      assert.equal(unknown.status, 1);
      assert.match(String(unknown.stderr), /is domain "nosuch" running\?/);
      const noServer = cli('gdbsx', '--nats', 'nats://127.0.0.1:1', '--domain', 'x');
      assert.equal(noServer.status, 1);
      assert.match(String(noServer.stderr), /cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
      const noWait = cli('run', KERNEL, '--gdb-no-wait');
      assert.equal(noWait.status, 2);
      assert.match(String(noWait.stderr), /--gdb-no-wait needs --gdb/);
      const badPort = cli('run', KERNEL, '--gdb', '70000');
      assert.equal(badPort.status, 2);
      assert.match(String(badPort.stderr), /--gdb takes \[HOST:\]PORT/);
    });
  });
});
