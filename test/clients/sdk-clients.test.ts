/**
 * The SDK's command-line clients, checked against what the demo OS itself
 * prints: `tsvmi ps` and `tsvmi strace` embedded (one process, no server), and
 * strace, regs, pause/resume and mem over NATS against `tsvmi run --nats` in
 * another process — including Ctrl-C, which must leave no breakpoint behind.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { announcedProcesses, kernelSyscalls } from '../support/demo-os.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { startNode } from '../support/node-process.js';

const TSVMI = join(process.cwd(), 'dist/clients/tsvmi.js');
const tsvmi = (...args: string[]) => spawnSync(process.execPath, [TSVMI, ...args], { encoding: 'utf8', timeout: 120_000 });

/**
 * The same without blocking this process: the NATS tests' server and `tsvmi run` are its
 * children, and their pipes must keep draining while a client runs.
 */
async function tsvmiAsync(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const p = startNode([TSVMI, ...args]);
  const status = await p.exited;
  return { status, stdout: p.io.out, stderr: p.io.err };
}

interface Call { pid: number | null; name: string | null; syscall: string; args: string[]; ret?: string }

/** strace --json's calls agree with the guest's own account: every call, every spawn's pid, every caller's name. */
function checkTrace(calls: Call[], console: string): void {
  const names = announcedProcesses(console);
  assert.equal(calls.length, kernelSyscalls(console), 'one line per system call the kernel counted');
  for (const c of calls) assert.equal(c.name, names.get(c.pid!), `pid ${c.pid} is ${names.get(c.pid!)}`);
  const spawned = calls.filter((c) => c.syscall === 'spawn').map((c) => Number(c.ret));
  assert.deepEqual(spawned, [...names.keys()].filter((pid) => pid > 1), 'spawn returned the pids the guest announced, in order');
  assert.ok(calls.filter((c) => c.syscall === 'write').every((c) => c.ret === String(Number(c.args[2]))), 'each write returned its length');
}

describe('SDK clients (tsvmi ps, strace, regs, mem, pause, resume, events)', function () {
  this.timeout(180_000);

  it('ps (embedded) lists the processes the guest announced', () => {
    const r = tsvmi('ps', '--json', '--after', '20000000');
    assert.equal(r.status, 0, r.stderr);
    const ps = JSON.parse(r.stdout) as Array<{ pid: number; name: string; state: string }>;
    const names = announcedProcesses(r.stderr);
    assert.equal(ps[0]!.pid, 0);
    assert.ok(ps.length >= 4, r.stdout);
    for (const p of ps.slice(1)) assert.equal(p.name, names.get(p.pid), `pid ${p.pid}`);
  });

  it('strace (embedded) shows every system call with its caller, arguments and result', () => {
    const r = tsvmi('strace', '--json');
    assert.equal(r.status, 0, r.stderr);
    checkTrace(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Call), r.stderr);
    assert.match(r.stderr, /system calls traced; the guest ended/);
    const only = tsvmi('strace', '--pid', '4');
    assert.ok(only.stdout.trim().split('\n').every((l) => l.startsWith('[pid 4 ticker] ')), only.stdout);
  });

  it('events (embedded) prints xen-access style lines, and refuses bad usage', () => {
    const r = tsvmi('events', '--reason', 'cr', '--count', '5', '--json');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { reason: string; details: string });
    assert.equal(lines.length, 5);
    assert.ok(lines.every((l) => l.reason === 'writeCtrlreg' && /^cr\d old=0x[0-9a-f]+ new=0x[0-9a-f]+$/.test(l.details)), r.stdout);
    for (const bad of [['events', '--reason', 'nope'], ['ps', '--domain', 'x'], ['events', '--reason', 'cr', '--watch-gfn', '1:rx'], ['pause']]) {
      const u = tsvmi(...bad);
      assert.equal(u.status, 2, `${bad.join(' ')}: ${u.stderr}`);
      assert.match(u.stderr, /usage: tsvmi/);
    }
  });

  describe('over NATS, against tsvmi run in another process', () => {
    let server: NatsServer, run: ChildProcess | undefined;
    let runOut = '', runErr = '';
    before(async () => { server = await startNatsServer(); });
    afterEach(() => { run?.kill(); run = undefined; });
    after(async () => { await server?.stop(); });

    /** Start `tsvmi run --paused` and wait until it serves; `exited` settles when it ends. */
    async function serve(): Promise<{ exited: Promise<number | null> }> {
      runOut = ''; runErr = '';
      run = spawn(process.execPath, [TSVMI, 'run', 'guests/build/os/kernel.elf', '--vcpus', '2', '--name', 'demo', '--nats', server.url, '--paused'], { stdio: ['ignore', 'pipe', 'pipe'] });
      run.stdout!.on('data', (b: Buffer) => { runOut += b.toString(); });
      run.stderr!.on('data', (b: Buffer) => { runErr += b.toString(); });
      const exited = new Promise<number | null>((resolve) => run!.on('exit', resolve));
      for (let k = 0; k < 200 && !runErr.includes('served on'); k++) await sleep(25);
      return { exited }; // wrapped: an async function returning a promise would wait for it
    }

    const remote = ['--nats', '', '--domain', 'demo'];
    const at = (...args: string[]) => { remote[1] = server.url; return tsvmiAsync(...args, ...remote); };

    it('regs, pause and resume a paused domain, then strace follows it to its end', async () => {
      const { exited } = await serve();
      const regs = await at('regs', '--json');
      assert.equal(regs.status, 0, regs.stderr);
      assert.equal(BigInt((JSON.parse(regs.stdout) as { rip: string }).rip), 0x100000n, 'paused before its first instruction: RIP is the PVH entry');
      assert.equal((await at('pause')).status, 0);
      assert.equal((await at('resume')).status, 0);
      const strace = await at('strace', '--json', '--resume');
      assert.equal(await exited, 1, runErr);
      assert.equal(strace.status, 0, strace.stderr);
      assert.match(strace.stderr, /the domain went away/);
      checkTrace(strace.stdout.trim().split('\n').map((l) => JSON.parse(l) as Call), runOut);
    });

    it('strace detaches on Ctrl-C and leaves no breakpoint behind', async () => {
      const { exited } = await serve();
      remote[1] = server.url;
      const child = spawn(process.execPath, [TSVMI, 'strace', '--resume', ...remote], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '', err = '';
      child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
      child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
      for (let k = 0; k < 400 && !out.includes('spawn('); k++) await sleep(25);
      assert.equal((await at('pause')).status, 0, 'held, so that the guest is still there to look at');
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      assert.equal(code, 0, err);
      assert.match(err, /detached/);
      const entry = await at('mem', 'read', 'syscall_entry', '--len', '3', '--json');
      assert.equal(entry.status, 0, entry.stderr);
      assert.equal((JSON.parse(entry.stdout) as { hex: string }).hex, '0f01f8', 'swapgs is back where the int3 was');
      assert.equal((await at('resume')).status, 0);
      assert.equal(await exited, 1, runErr);
      assert.match(runOut, /shutdown: init exited with code 0/);
    });

    it('strace | head: the reader going away detaches strace, and the guest runs on to its normal end', async () => {
      const { exited } = await serve();
      remote[1] = server.url;
      const child = spawn(process.execPath, [TSVMI, 'strace', '--resume', ...remote], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      child.stdout.destroy(); // what head does after its lines
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      assert.equal(code, 0, err);
      assert.match(err, /detached/, 'it cleaned up before it went');
      assert.equal(await exited, 1, runErr);
      assert.match(runOut, /shutdown: init exited with code 0/, 'no int3 was left for nobody to answer');
    });
  });
});
