/**
 * The native oracle: runs instruction vectors on the host CPU through
 * native/harness.c (built on first use into guests/build/oracle/) and returns
 * what the CPU did, for comparison with the emulator.
 *
 * A vector's code and data live at fixed addresses (LAYOUT), identical in the
 * emulator, so registers may point into them. Each vector starts from fresh
 * memory: its code followed by a terminator and int3 (0xcc) filler to the end
 * of the code page, its data followed by zeros to the end of the data page,
 * and a zeroed stack. Nothing else is mapped that a vector may rely on.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAYOUT = {
  CODE: 0x20000000,
  /** The code page is CODE..CODE+CODE_SIZE; a vector may jump anywhere in it. */
  CODE_SIZE: 0x1000,
  DATA: 0x10000000,
  DATA_SIZE: 0x1000,
  STACK_LO: 0x30000000,
  STACK_HI: 0x30010000,
  /** The RSP the generators give vectors, in the middle of the stack. */
  STACK_TOP: 0x30008000,
} as const;

export const MAX_CODE = 64;
export const MAX_DATA = 256;

/** RFLAGS status flags (SDM Vol. 1 §3.4.3.1). */
export const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
export const STATUS_FLAGS = CF | PF | AF | ZF | SF | OF;
/** The direction flag: with the status flags, the only input flag that reaches the guest. */
export const DF = 0x400;

/** Exception vectors the harness reports (SDM Vol. 3A §6.3.1). */
export const Exc = { DE: 0, DB: 1, BP: 3, UD: 6, SS: 12, GP: 13, PF: 14, AC: 17 } as const;

export interface Vector {
  /** Identifies the vector in failure messages; not sent to the harness. */
  name: string;
  /** At most MAX_CODE bytes, placed at LAYOUT.CODE. */
  code: Uint8Array;
  /** 16 values in RAX RCX RDX RBX RSP RBP RSI RDI R8..R15 order; taken modulo 2^64. */
  regs: bigint[];
  /** Only the status flags and DF are used. */
  rflags: number;
  /** At most MAX_DATA bytes, placed at LAYOUT.DATA. */
  data: Uint8Array;
}

export interface Outcome {
  /**
   * null if the vector ran off the end of its code; else the exception vector
   * (Exc), or 'timeout' if it was stopped after 10-20 ms of CPU time.
   */
  fault: number | 'timeout' | null;
  /** The exception's error code (0 when it has none). */
  errorCode: number;
  /** CR2, the faulting linear address, for #PF; 0n otherwise. */
  faultAddr: bigint;
  /** Where the guest stopped: the faulting instruction, the one after a trap, or the end of the code. */
  rip: bigint;
  /** rip - LAYOUT.CODE. */
  ripOffset: number;
  /** The 16 general registers when the guest stopped, in Vector.regs order. */
  regs: bigint[];
  /**
   * Raw RFLAGS: IF (0x200) and bit 1 are always set, and the CPU sets RF
   * (0x10000) in the image of a fault. Mask with STATUS_FLAGS to compare.
   */
  rflags: number;
  /** The first data.length bytes at LAYOUT.DATA afterwards. */
  data: Uint8Array;
}

const SOURCES = ['harness.c', 'trampoline.S'];

/** The nearest ancestor holding package.json: the sources sit beside native.ts, the build under dist/. */
function repoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error('native oracle: no package.json above ' + import.meta.url);
  }
}

let harnessPath: string | undefined;

/** Build the harness if any source is newer than the binary; returns the binary's path. */
export function buildHarness(): string {
  if (harnessPath) return harnessPath;
  const root = repoRoot();
  const srcDir = join(root, 'test', 'oracle', 'native');
  const outDir = join(root, 'guests', 'build', 'oracle');
  const bin = join(outDir, 'harness');
  const sources = SOURCES.map((f) => join(srcDir, f));
  const built = existsSync(bin) ? statSync(bin).mtimeMs : -Infinity;
  if (sources.some((s) => statSync(s).mtimeMs > built)) {
    mkdirSync(outDir, { recursive: true });
    // Build beside the target and rename, so concurrent test processes never run half a binary.
    const tmp = `${bin}.${process.pid}.tmp`;
    execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-o', tmp, ...sources], { stdio: 'inherit' });
    renameSync(tmp, bin);
  }
  return (harnessPath = bin);
}

const hex64 = (x: bigint): string => BigInt.asUintN(64, x).toString(16);
const hexBytes = (b: Uint8Array): string => (b.length ? Buffer.from(b).toString('hex') : '-');

function encodeVector(v: Vector): string {
  if (v.code.length > MAX_CODE) throw new Error(`${v.name}: code longer than ${MAX_CODE} bytes`);
  if (v.data.length > MAX_DATA) throw new Error(`${v.name}: data longer than ${MAX_DATA} bytes`);
  if (v.regs.length !== 16) throw new Error(`${v.name}: need 16 registers, got ${v.regs.length}`);
  return [hexBytes(v.code), ...v.regs.map(hex64), v.rflags.toString(16), hexBytes(v.data)].join(' ');
}

function decodeOutcome(line: string, v: Vector): Outcome {
  const f = line.split(' ');
  if (f.length !== 22) throw new Error(`${v.name}: malformed harness output: ${line}`);
  const [fault, err, addr, rip] = f;
  const ripValue = BigInt('0x' + rip);
  const data = f[21] === '-' ? new Uint8Array(0) : new Uint8Array(Buffer.from(f[21], 'hex'));
  return {
    fault: fault === '-' ? null : fault === 'timeout' ? 'timeout' : parseInt(fault, 16),
    errorCode: parseInt(err, 16),
    faultAddr: BigInt('0x' + addr),
    rip: ripValue,
    ripOffset: Number(ripValue - BigInt(LAYOUT.CODE)),
    regs: f.slice(4, 20).map((r) => BigInt('0x' + r)),
    rflags: parseInt(f[20], 16),
    data,
  };
}

/** Run vectors on the host CPU, all in one harness process; results are in input order. */
export function runNative(vectors: Vector[]): Outcome[] {
  if (vectors.length === 0) return [];
  const input = vectors.map(encodeVector).join('\n') + '\n';
  const r = spawnSync(buildHarness(), {
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`native harness failed (${r.signal ?? 'status ' + r.status}): ${r.stderr}`);
  }
  const lines = r.stdout.split('\n');
  lines.pop(); // the empty string after the final newline
  if (lines.length !== vectors.length) {
    throw new Error(`native harness returned ${lines.length} results for ${vectors.length} vectors`);
  }
  return lines.map((line, i) => decodeOutcome(line, vectors[i]));
}
