/** The demo OS and self-test kernel booted in a Domain, and the demo OS's own check of its serial output. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Domain } from '../../src/hypervisor/vm/domain.js';
import { Reason } from '../../src/monitor/event.js';
import { Monitor } from '../../src/monitor/monitor.js';

export const OS = join(process.cwd(), 'guests/build/os');
export const SELFTEST = join(process.cwd(), 'guests/build/selftest/selftest-pvh.elf');

export function boot(image: string, vcpus = 2): { domain: Domain; serial: () => string } {
  const bytes: number[] = [];
  const domain = new Domain({ name: 'demo', vcpus, serialOut: (b) => bytes.push(b) });
  domain.load(readFileSync(image));
  return { domain, serial: () => Buffer.from(bytes).toString('latin1') };
}

/** guests/os/tools/check-serial.sh: the demo OS ran every task correctly on `smp` CPUs. */
export function checkOs(serial: string, smp: number): void {
  const log = join(mkdtempSync(join(tmpdir(), 'tsvmi-os-')), 'serial.log');
  writeFileSync(log, serial, 'latin1');
  const r = spawnSync('bash', ['guests/os/tools/check-serial.sh', '--smp', String(smp), '--bench', join(OS, 'bench.expected'), log], { encoding: 'utf8' });
  assert.equal(r.status, 0, `check-serial.sh rejected the transcript:\n${r.stdout}${r.stderr}\n--- serial ---\n${serial}`);
}

/**
 * The demo OS on two vCPUs with the monitor set up as the xen-access loop tests use it:
 * breakpoints and single-steps sync, CR writes async and on change only.
 */
export function xenAccessSetup(): { domain: Domain; serial: () => string; monitor: Monitor } {
  const { domain, serial } = boot(join(OS, 'kernel.elf'));
  const monitor = new Monitor(domain);
  monitor.configure({
    [Reason.SOFTWARE_BREAKPOINT]: { sync: true },
    [Reason.SINGLESTEP]: { sync: true },
    [Reason.WRITE_CTRLREG]: { sync: false, onChangeOnly: true },
  });
  return { domain, serial, monitor };
}

/** The kernel is linked at -2 GiB + its physical load address (guests/os/kernel/linker.ld, KERNEL_VMA). */
const KERNEL_VIRT_BASE = 0xffffffff80000000n;

/** A demo-OS kernel symbol's virtual address and its guest frame, from the ELF's symbol table (nm). */
export function kernelSymbol(name: string): { va: bigint; gfn: number } {
  const line = execFileSync('nm', [join(OS, 'kernel.elf')], { encoding: 'utf8' }).split('\n').find((l) => l.endsWith(` ${name}`));
  if (!line) throw new Error(`no symbol ${name} in the demo OS kernel`);
  const va = BigInt(`0x${line.split(' ')[0]}`);
  return { va, gfn: Number((va - KERNEL_VIRT_BASE) >> 12n) };
}

/** pid -> name, as the demo OS announces its processes on its console ("spawned X as pid N"). */
export function announcedProcesses(console: string): Map<number, string> {
  const names = new Map<number, string>([[1, 'init']]);
  for (const m of console.matchAll(/spawned (\w+) as pid (\d+)/g)) names.set(Number(m[2]), m[1]!);
  return names;
}

/** The system calls the demo OS's kernel counted, from its closing statistics line. */
export const kernelSyscalls = (console: string): number => Number(/stats: total: .* syscalls=(\d+)/.exec(console)![1]);
