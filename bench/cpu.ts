/**
 * `npm run bench:cpu`: guest MIPS of the interpreter on a tight integer loop
 * and on the gcc-built workload mix, with the same mix run natively in the
 * same run for the ratio. Prints JSON on stdout; progress on stderr.
 *
 * Native MIPS is estimated as (guest instructions of the freestanding -O2
 * image) / (native seconds of the Linux -O2 build of the same source): both
 * run the same kernels; only the console backend differs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Cpu, StopReason } from '../src/hypervisor/cpu/cpu.js';
import { opcodeTable } from '../src/hypervisor/cpu/ops/index.js';
import { PageTableBuilder } from '../src/hypervisor/mmu/page-table-builder.js';
import { PhysicalMemory } from '../src/hypervisor/mmu/physical.js';
import { Domain } from '../src/hypervisor/vm/domain.js';

const CORPUS = join(process.cwd(), 'guests/build/corpus');
const progress = (msg: string): void => { process.stderr.write(`bench:cpu: ${msg}\n`); };
const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

/**
 * 400M instructions of dependent integer work:
 *   mov ecx, 100000000
 *   xor eax, eax
 * 1: add rax, rcx
 *   xor rax, 0x55
 *   dec ecx
 *   jnz 1b
 *   hlt
 */
const TIGHT_LOOP = [
  0xb9, 0x00, 0xe1, 0xf5, 0x05, 0x31, 0xc0, 0x48, 0x01, 0xc8, 0x48, 0x83, 0xf0, 0x55, 0xff, 0xc9, 0x75, 0xf5, 0xf4,
];

function tightLoop(): { instructions: number; seconds: number; mips: number } {
  const mem = new PhysicalMemory(4 << 20);
  const pt = new PageTableBuilder(mem, mem.size, mem.size - (1 << 20));
  pt.map(0, 0, 2 << 20, { pageSize: 0x200000 });
  const cpu = new Cpu(mem, opcodeTable());
  cpu.enterLongMode(pt.cr3);
  cpu.onException = () => false;
  mem.writeBytes(0x1000, Uint8Array.from(TIGHT_LOOP));
  cpu.rip = 0x1000;
  const start = process.hrtime.bigint();
  const n = cpu.run(1e12);
  const s = seconds(start);
  if (cpu.stopReason !== StopReason.HALT) throw new Error('tight loop did not halt');
  return { instructions: n, seconds: s, mips: n / s / 1e6 };
}

async function emulatedMix(): Promise<{ instructions: number; seconds: number; mips: number; outputMatches: boolean }> {
  const out: number[] = [];
  const vm = new Domain({ serialOut: (b: number) => out.push(b) });
  vm.load(readFileSync(join(CORPUS, 'mix-O2.elf')));
  const start = process.hrtime.bigint();
  const outcome = await vm.run();
  const s = seconds(start);
  if (outcome.kind !== 'exit') throw new Error(`mix did not exit cleanly: ${JSON.stringify(outcome)}`);
  const expected = readFileSync(join(CORPUS, 'mix-O2.expected'));
  return { instructions: outcome.instructions, seconds: s, mips: outcome.instructions / s / 1e6, outputMatches: Buffer.from(out).equals(expected) };
}

function nativeMix(runs = 5): { seconds: number } {
  let best = Infinity;
  for (let k = 0; k < runs; k++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(join(CORPUS, 'mix-O2.host'), { stdio: ['ignore', 'ignore', 'inherit'] });
    const s = seconds(start);
    if (r.status !== 0) throw new Error(`native mix exited with ${r.status}`);
    best = Math.min(best, s);
  }
  return { seconds: best };
}

async function main(): Promise<void> {
  if (!existsSync(join(CORPUS, 'mix-O2.elf'))) throw new Error('guests are not built: run `npm run guests`');
  progress('tight loop (400M instructions)...');
  const tight = tightLoop();
  progress('gcc workload mix, emulated...');
  const mix = await emulatedMix();
  progress('gcc workload mix, native...');
  const native = nativeMix();
  const nativeMips = mix.instructions / native.seconds / 1e6;
  console.log(JSON.stringify({
    benchmark: 'cpu',
    host: { cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
    tightLoop: tight,
    mix: { ...mix, image: 'guests/build/corpus/mix-O2.elf' },
    native: { seconds: native.seconds, estimatedMips: nativeMips, binary: 'guests/build/corpus/mix-O2.host' },
    slowdown: mix.seconds / native.seconds,
  }, null, 2));
}

main().catch((e: unknown) => {
  console.error(`bench:cpu: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
