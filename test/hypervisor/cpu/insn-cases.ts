/**
 * Table-driven instruction tests: each case is an assembly snippet, the state
 * it starts from and the state it must end in. All snippets of a table go
 * through one `as` run.
 */
import assert from 'node:assert/strict';
import { StopReason } from '../../../src/hypervisor/cpu/cpu.js';
import { ARITH_FLAGS, Flag, REG_NAMES, RFLAGS_FIXED } from '../../../src/hypervisor/cpu/regs.js';
import { assembleMany } from '../../support/asm.js';
import { getReg, runCode, setReg, testMachine, type TestMachine } from '../../support/machine.js';

export type RegName = (typeof REG_NAMES)[number];
export type Regs = Partial<Record<RegName, bigint>>;

export const CODE = 0x100000;
/** A data buffer cases can point registers at; it starts zeroed unless `data` is given. */
export const DATA = 0x200000n;
export const { CF, PF, AF, ZF, SF, OF } = Flag;

export interface Case {
  name: string;
  /** Intel syntax; a HLT is appended. */
  asm: string;
  regs?: Regs;
  /** Initial status flags. */
  flags?: number;
  /** Initial bytes at DATA. */
  data?: number[];
  /** The expected end state: only what is given is checked. */
  want: {
    regs?: Regs;
    /** Status flags, compared under `flagMask` (default: all six). */
    flags?: number;
    flagMask?: number;
    /** Bytes expected at DATA + `dataAt` (default 0). */
    data?: number[];
    dataAt?: number;
    /** An exception vector: the run must stop on it with RIP at CODE + `rip` (default 0). */
    fault?: number;
    rip?: number;
  };
}

const flagNames = (f: number): string =>
  (['CF', 'PF', 'AF', 'ZF', 'SF', 'OF'] as const).filter((n) => (f & Flag[n]) !== 0).join(' ') || '-';

/** Run one case on a fresh machine; returns the machine for further checks. */
export function runCase(k: Case, code: Uint8Array): TestMachine {
  const m = testMachine();
  for (const [name, v] of Object.entries(k.regs ?? {})) setReg(m.cpu, REG_NAMES.indexOf(name as RegName), v);
  m.cpu.setRflags((k.flags ?? 0) | RFLAGS_FIXED);
  if (k.data) m.mem.writeBytes(Number(DATA), Uint8Array.from(k.data));
  runCode(m, code, CODE);
  const w = k.want;
  if (w.fault !== undefined) {
    assert.equal(m.cpu.stopReason, StopReason.FAULT, 'expected a fault');
    assert.equal(m.cpu.lastFault?.vector, w.fault, 'fault vector');
    assert.equal(m.cpu.rip, CODE + (w.rip ?? 0), 'RIP must stay on the faulting instruction');
  } else {
    assert.equal(m.cpu.stopReason, StopReason.HALT, `stopped by ${m.cpu.lastFault?.message ?? m.cpu.stopReason}`);
  }
  for (const [name, v] of Object.entries(w.regs ?? {})) {
    const got = getReg(m.cpu, REG_NAMES.indexOf(name as RegName));
    assert.equal(got.toString(16), BigInt.asUintN(64, v).toString(16), name);
  }
  if (w.flags !== undefined) {
    const mask = w.flagMask ?? ARITH_FLAGS;
    assert.equal(flagNames(m.cpu.getRflags() & mask), flagNames(w.flags & mask), `flags (under ${flagNames(mask)})`);
  }
  if (w.data) {
    const at = Number(DATA) + (w.dataAt ?? 0);
    assert.deepEqual([...m.mem.bytes.subarray(at, at + w.data.length)], w.data, 'data');
  }
  return m;
}

/** A mocha `describe` with one `it` per case. */
export function describeCases(title: string, cases: Case[]): void {
  describe(title, () => {
    let code: Uint8Array[] = [];
    before(() => { code = assembleMany(cases.map((k) => `${k.asm}; hlt`)); });
    cases.forEach((k, n) => it(k.name, () => { runCase(k, code[n]!); }));
  });
}

/** Little-endian bytes of a value. */
export const le = (v: bigint, bytes: number): number[] =>
  Array.from({ length: bytes }, (_, k) => Number((BigInt.asUintN(bytes * 8, v) >> BigInt(8 * k)) & 0xffn));
