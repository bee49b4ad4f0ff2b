/**
 * The README's SDK example (examples/count-syscalls.ts), run as a user would:
 * against `tsvmi run --nats` in another process, for a few seconds, printing
 * a table of system calls per process that agrees with the guest.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { startNode } from '../support/node-process.js';

const TSVMI = join(process.cwd(), 'dist/clients/tsvmi.js');
const EXAMPLE = join(process.cwd(), 'dist/examples/count-syscalls.js');


describe('the README SDK example', function () {
  this.timeout(60_000);
  let server: NatsServer;
  before(async () => { server = await startNatsServer(); });
  after(async () => { await server?.stop(); });

  it('counts system calls per process and prints a table', async () => {
    const run = startNode([TSVMI, 'run', 'guests/build/os/kernel.elf', '--vcpus', '2', '--name', 'demo', '--nats', server.url, '--paused']);
    for (let k = 0; k < 200 && !run.io.err.includes('served on'); k++) await sleep(25);
    const example = startNode([EXAMPLE], { NATS_URL: server.url, SECONDS: '4' });
    // Resume once the example's breakpoint is in: the int3 shows at syscall_entry.
    for (let k = 0; k < 100; k++) {
      const peek = startNode([TSVMI, 'mem', 'read', 'syscall_entry', '--len', '1', '--json', '--nats', server.url, '--domain', 'demo']);
      await peek.exited;
      if (peek.io.out.includes('"hex":"cc"')) break;
      await sleep(100);
    }
    const resume = startNode([TSVMI, 'resume', '--nats', server.url, '--domain', 'demo']);
    assert.equal(await resume.exited, 0, resume.io.err);
    assert.equal(await example.exited, 0, example.io.err);
    assert.equal(await run.exited, 1, run.io.err);
    const rows = [...example.io.out.matchAll(/│\s*\d+\s*│\s*'(\d+) (\w+)'\s*│\s*(\d+)\s*│/g)].map((m) => ({ pid: Number(m[1]), name: m[2]!, n: Number(m[3]) }));
    assert.ok(rows.some((r) => r.pid === 1 && r.name === 'init'), example.io.out);
    const total = Number(/stats: total: .* syscalls=(\d+)/.exec(run.io.out)![1]);
    assert.equal(rows.reduce((a, r) => a + r.n, 0), total, 'every system call of the run, counted once');
  });
});
