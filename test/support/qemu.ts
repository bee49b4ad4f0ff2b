/**
 * Boot an image under `qemu-system-x86_64 -kernel` (TCG) with the devices
 * tsvmi models, for whole-machine comparisons. QEMU is part of the test
 * toolchain: scripts/ensure-tools.sh installs it.
 */
import { spawnSync } from 'node:child_process';

export interface QemuRun { serial: string; status: number | null }

export function runQemu(kernel: string, opts: { smp?: number; memMiB?: number; cpu?: string; timeoutMs?: number } = {}): QemuRun {
  const r = spawnSync('qemu-system-x86_64', [
    '-kernel', kernel, '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot',
    '-m', String(opts.memMiB ?? 64), '-smp', String(opts.smp ?? 1), '-accel', 'tcg',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', ...(opts.cpu ? ['-cpu', opts.cpu] : []),
  ], { encoding: 'latin1', timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20 });
  if (r.error) throw new Error(`qemu-system-x86_64 failed to run: ${r.error.message} (scripts/ensure-tools.sh installs it)`);
  return { serial: r.stdout, status: r.status };
}
