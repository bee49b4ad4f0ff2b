/**
 * Registers between the SDK's snapshot (tsvmi.v1.Registers) and gdb's `g`/`G`
 * register block, laid out by the target description. x87 and SSE state is
 * not emulated (guests are built -mgeneral-regs-only), so it reads as the
 * reset state (FCW 0x37f, FTW empty, MXCSR 0x1f80) and writes to it are
 * refused. CR8 is not in the snapshot and reads as 0.
 */
import type { RegisterUpdate, Registers } from '../introspect/index.js';
import { G_PACKET_BYTES, REGISTERS, type RegisterSpec } from './target-description.js';

/** What each gdb register reads from in the snapshot (undefined: a constant below). */
const SOURCE: Readonly<Record<string, (r: Registers) => bigint>> = {
  ...Object.fromEntries(['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip', 'cr0', 'cr2', 'cr3', 'cr4', 'efer']
    .map((n) => [n, (r: Registers) => r[n as keyof Registers] as bigint])),
  eflags: (r) => r.rflags,
  ...Object.fromEntries((['cs', 'ss', 'ds', 'es', 'fs', 'gs'] as const).map((s) => [s, (r: Registers) => BigInt(r[s]?.selector ?? 0)])),
  fs_base: (r) => r.fsBase,
  gs_base: (r) => r.gsBase,
  k_gs_base: (r) => r.kernelGsBase,
};

/** x87/SSE reset values (SDM Vol. 1 §8.1.5, §10.2.3): what an FNINIT and a reset leave. */
const RESET: Readonly<Record<string, bigint>> = { fctrl: 0x37fn, ftag: 0xffffn, mxcsr: 0x1f80n };

/** The `g` packet's register block for a snapshot. */
export function gBlock(r: Registers): Uint8Array {
  const out = new Uint8Array(G_PACKET_BYTES);
  for (const reg of REGISTERS) put(out, reg, SOURCE[reg.name]?.(r) ?? RESET[reg.name] ?? 0n);
  return out;
}

/** One register's bytes (`p` packet), or undefined for a number gdb should not have asked for. */
export function registerBytes(r: Registers, regnum: number): Uint8Array | undefined {
  const reg = REGISTERS[regnum];
  if (!reg) return undefined;
  const block = gBlock(r);
  return block.subarray(reg.offset, reg.offset + reg.bitsize / 8);
}

/** Registers gdb may write (`G`, `P`), as RegisterUpdate fields. */
const WRITABLE: Readonly<Record<string, keyof RegisterUpdate>> = {
  ...Object.fromEntries(['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip', 'cr0', 'cr2', 'cr3', 'cr4', 'efer']
    .map((n) => [n, n as keyof RegisterUpdate])),
  eflags: 'rflags', fs_base: 'fsBase', gs_base: 'gsBase', k_gs_base: 'kernelGsBase',
};

export class RegisterWriteError extends Error {
  override readonly name: string = 'RegisterWriteError';
}

/**
 * The update a `P` write of `regnum` (little-endian bytes) makes. Unchanged registers of a
 * `G` block should not be sent (see `changes`): x87/SSE and segment selectors cannot be
 * written and are refused.
 */
export function registerUpdate(regnum: number, bytes: Uint8Array): Partial<RegisterUpdate> {
  const reg = REGISTERS[regnum];
  if (!reg) throw new RegisterWriteError(`there is no register ${regnum}`);
  if (bytes.length !== reg.bitsize / 8) throw new RegisterWriteError(`${reg.name} takes ${reg.bitsize / 8} bytes, not ${bytes.length}`);
  const field = WRITABLE[reg.name];
  if (!field) throw new RegisterWriteError(`${reg.name} cannot be written through gdbsx`);
  return { [field]: get(bytes, 0, bytes.length) };
}

/** The registers a `G` block changes against the current snapshot, as one update. */
export function changes(current: Registers, block: Uint8Array): Partial<RegisterUpdate> {
  if (block.length !== G_PACKET_BYTES) throw new RegisterWriteError(`a G block has ${G_PACKET_BYTES} bytes, not ${block.length}`);
  const now = gBlock(current), update: Partial<RegisterUpdate> = {};
  for (const reg of REGISTERS) {
    const a = now.subarray(reg.offset, reg.offset + reg.bitsize / 8), b = block.subarray(reg.offset, reg.offset + reg.bitsize / 8);
    if (a.every((x, k) => x === b[k])) continue;
    Object.assign(update, registerUpdate(reg.regnum, b));
  }
  return update;
}

function put(out: Uint8Array, reg: RegisterSpec, value: bigint): void {
  let v = BigInt.asUintN(reg.bitsize, value);
  for (let k = 0; k < reg.bitsize / 8; k++) { out[reg.offset + k] = Number(v & 0xffn); v >>= 8n; }
}

function get(bytes: Uint8Array, at: number, n: number): bigint {
  let v = 0n;
  for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(bytes[at + k]!);
  return v;
}
