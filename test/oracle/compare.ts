/**
 * The differential check: run vectors on this machine's CPU and in the
 * emulator and demand the same architectural outcome — registers, the status
 * flags the SDM defines for the instruction, DF, the data buffer, and the
 * exception (vector, error code, CR2, RIP).
 */
import assert from 'node:assert/strict';
import { runEmulated } from './emulator.js';
import { DF, STATUS_FLAGS, runNative, type Outcome, type Vector } from './native.js';

const REG_NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const hex = (x: bigint | number): string => `0x${x.toString(16)}`;
const bytes = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function differences(native: Outcome, emu: Outcome, undefinedFlags: number): string[] {
  const d: string[] = [];
  if (native.fault !== emu.fault) d.push(`fault: cpu ${native.fault} emu ${emu.fault}`);
  if (native.fault !== null && native.fault !== 'timeout') {
    if (native.errorCode !== emu.errorCode) d.push(`error code: cpu ${hex(native.errorCode)} emu ${hex(emu.errorCode)}`);
    if (native.faultAddr !== emu.faultAddr) d.push(`cr2: cpu ${hex(native.faultAddr)} emu ${hex(emu.faultAddr)}`);
  }
  if (native.rip !== emu.rip) d.push(`rip: cpu ${hex(native.rip)} emu ${hex(emu.rip)}`);
  native.regs.forEach((v, r) => { if (v !== emu.regs[r]) d.push(`${REG_NAMES[r]}: cpu ${hex(v)} emu ${hex(emu.regs[r]!)}`); });
  const compared = (STATUS_FLAGS & ~undefinedFlags) | DF;
  if ((native.rflags & compared) !== (emu.rflags & compared)) {
    d.push(`rflags (mask ${hex(compared)}): cpu ${hex(native.rflags & compared)} emu ${hex(emu.rflags & compared)}`);
  }
  if (bytes(native.data) !== bytes(emu.data)) d.push(`data: cpu ${bytes(native.data)} emu ${bytes(emu.data)}`);
  return d;
}

/**
 * Assert that every vector behaves the same natively and emulated — both
 * interpreted step by step and run as compiled blocks (jit/).
 * `undefinedFlags(v)` gives the status flags the SDM leaves undefined for it.
 */
export function assertSameAsCpu(vectors: Vector[], undefinedFlags: (v: Vector) => number): void {
  const native = runNative(vectors);
  const failures: string[] = [];
  for (const compiled of [false, true]) {
    const emu = runEmulated(vectors, { compiled });
    vectors.forEach((v, k) => {
      const d = differences(native[k]!, emu[k]!, undefinedFlags(v));
      if (d.length > 0) failures.push(`${compiled ? '[compiled] ' : ''}${v.name} [code ${bytes(v.code)}]\n    ${d.join('\n    ')}`);
    });
  }
  assert.equal(failures.length, 0, `${failures.length} runs of ${vectors.length} vectors differ from the CPU:\n  ${failures.slice(0, 8).join('\n  ')}`);
}
