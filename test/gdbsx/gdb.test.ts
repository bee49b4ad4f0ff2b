/**
 * A stock gdb against gdbsx, on the running demo OS (in process, embedded
 * transport): attach, registers including CR3 and EFER, the vCPUs as threads,
 * a breakpoint on the system-call entry found by its symbol in the kernel's
 * ELF, continue, stepi in
 * the order the disassembly says, detach — after which the guest runs to its
 * normal end. This is the first slice of the gdb tests.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveGdb } from '../../src/gdbsx/server.js';
import { loadProfile } from '../../src/introspect/os/profile.js';
import { Vmi } from '../../src/introspect/vmi.js';
import { LocalLink } from '../../src/monitor/local-link.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { boot, checkOs, OS } from '../support/demo-os.js';
import { startProcess } from '../support/node-process.js';

const KERNEL = join(OS, 'kernel.elf');

describe('gdbsx with the real gdb', function () {
  this.timeout(120_000);

  it('attaches, shows registers and threads, stops at a breakpoint, steps, and detaches', async () => {
    const profile = loadProfile(KERNEL);
    const { domain, serial } = boot(KERNEL, 2);
    while (!serial().includes('sched: init started')) await domain.run(domain.instructions + 20_000);
    const vmi = await Vmi.attach(new LocalLink(new Monitor(domain)), { profile });
    const server = await serveGdb(vmi);
    const running = domain.runForever();
    const entry = profile.syscallEntry;
    const script = join(mkdtempSync(join(tmpdir(), 'tsvmi-gdb-')), 'script.gdb');
    writeFileSync(script, [
      'set pagination off', 'set confirm off',
      'set debug remote 1', // every packet logged: an ack out of place shows as "Packet instead of Ack"
      `file ${KERNEL}`,
      `target remote 127.0.0.1:${server.port}`,
      'info registers rip cr3 efer', 'info threads',
      // Stepping resumes every thread unless gdb is told to lock the others (then gdb sends
      // vCont;s:N alone); without it another vCPU's breakpoint may end the stepi, as it should.
      'set scheduler-locking step',
      'break syscall_entry', 'continue',
      'print/x $pc', 'stepi', 'print/x $pc', 'stepi', 'print/x $pc',
      `x/3i 0x${entry.toString(16)}`,
      // A write with gdb's binary X packet (every vCPU is stopped: the same value goes back).
      'set var jiffies = jiffies + 0', 'print/x jiffies',
      'delete', 'detach',
    ].join('\n') + '\n');
    const gdb = startProcess('gdb', ['-batch', '-nx', '-x', script]); // not spawnSync: the domain runs in this process
    const code = await gdb.exited;
    const out = gdb.io.out + gdb.io.err;
    assert.equal(code, 0, out);
    assert.doesNotMatch(out, /Packet instead of Ack/);
    assert.match(out, /Sending packet: \$X[0-9a-f]+,8:/, 'gdb wrote memory with X');
    assert.doesNotMatch(out, /Sending packet: \$X[^\n]*\n[^\n]*Packet received: E/, 'and the write was taken');
    assert.match(out, /\[remote\] Sending packet: \$vCont;s:/, 'the debug log is there (the check above can fail)');
    assert.match(out, /cr3\s+0x[0-9a-f]+/);
    assert.match(out, /efer\s+0x[0-9a-f]+/);
    assert.match(out, /Thread 2/, 'one thread per vCPU');
    const pcs = [...out.matchAll(/\$\d+ = (0x[0-9a-f]+)/g)].map((m) => BigInt(m[1]!));
    assert.equal(pcs[0], entry, 'stopped at the breakpoint, PC on it');
    assert.equal(pcs[1], entry + 3n, 'stepi ran swapgs (3 bytes)');
    assert.ok(pcs[2]! > pcs[1]!, `and the next instruction\n${out}`);
    const disasm = [...out.matchAll(/^(?:=>)?\s+(0x[0-9a-f]+)(?: <[^>]*>)?:\s+(\w+)/gm)].map((m) => [BigInt(m[1]!), m[2]]);
    assert.deepEqual(disasm[0], [entry, 'swapgs'], 'the original instruction, not the int3');
    assert.equal(disasm[1]![0], pcs[1], 'stepi stopped where the disassembly puts the next instruction');
    assert.equal(disasm[2]![0], pcs[2]);
    const outcome = await running;
    assert.deepEqual(outcome.kind === 'exit' ? outcome.status : outcome, 1);
    checkOs(serial(), 2);
    await server.close();
  });
});
