/** `tsvmi run` as a user calls it: stdout, exit status, and errors for bad input. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS_DIR } from '../support/corpus.js';

const TSVMI = join(process.cwd(), 'dist/clients/tsvmi.js');
const tsvmi = (...args: string[]) => spawnSync(process.execPath, [TSVMI, ...args], { encoding: 'utf8' });

describe('tsvmi run', () => {
  it('prints the guest serial console and exits with the isa-debug-exit status', () => {
    const r = tsvmi('run', join(CORPUS_DIR, 'hello-O2.elf'));
    assert.equal(r.stdout, readFileSync(join(CORPUS_DIR, 'hello-O2.expected'), 'utf8'));
    assert.equal(r.status, 1);
  });

  it('runs with standard input closed, or from a file (no terminal)', () => {
    const r = spawnSync(process.execPath, [TSVMI, 'run', join(CORPUS_DIR, 'hello-O2.elf')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /Hello from a tsvmi guest!/);
  });

  it('injects an NMI and shows the statistics and the trace (--vendor amd)', () => {
    const trace = join(mkdtempSync(join(tmpdir(), 'tsvmi-')), 'trace.txt');
    const r = tsvmi('run', join(process.cwd(), 'guests/build/os/kernel.elf'), '--vcpus', '2', '--vendor', 'amd', '--nmi', '3000000:0', '--stats', '--trace', trace);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /kernel: NMI on cpu 0 at rip=/);
    const stats = JSON.parse(r.stderr.slice(r.stderr.indexOf('{'))) as { vcpus: { vcpu: number; vnmiUnblockedPrecisely: number; nmiInjected: number }[] };
    assert.deepEqual(stats.vcpus.map((v) => [v.vcpu, v.nmiInjected, v.vnmiUnblockedPrecisely]), [[0, 1, 1], [1, 0, 0]]);
    const log = readFileSync(trace, 'utf8');
    assert.match(log, /Injecting NMI\n.*NMI delivered\n.*vNMI iret tracing enabled\n.*vNMIs unblocked precisely/);
  });

  it('tsvmi trace prints the trace on stdout and the console on stderr', () => {
    const r = tsvmi('trace', join(process.cwd(), 'guests/build/os/kernel.elf'), '--vendor', 'amd', '--nmi', '2000000');
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /shutdown: init exited with code 0/);
    assert.match(r.stdout, /^ +\d+ +0 +2000000 Injecting NMI$/m);
    assert.match(r.stdout, /vNMIs unblocked precisely/);
  });

  it('has --help', () => {
    const r = tsvmi('run', '--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /usage: tsvmi run KERNEL\.elf/);
  });

  it('explains a missing kernel file', () => {
    const r = tsvmi('run', '/nonexistent/kernel.elf');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot read kernel '\/nonexistent\/kernel\.elf': ENOENT/);
  });

  it('explains a file that is not an ELF kernel', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsvmi-'));
    writeFileSync(join(dir, 'k.elf'), 'definitely not an ELF image');
    const r = tsvmi('run', join(dir, 'k.elf'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not an ELF file \(bad magic\)/);
  });

  it('rejects unknown options with usage and status 2', () => {
    const r = tsvmi('run', '--frobnicate', 'x.elf');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /usage:/);
  });

  it('stops at --max-instructions with status 4', () => {
    const r = tsvmi('run', join(CORPUS_DIR, 'hello-O2.elf'), '--max-instructions', '50');
    assert.equal(r.status, 4);
    assert.match(r.stderr, /50-instruction limit/);
  });
});
