/**
 * A decoded instruction. The decoder fills one of these once; the execution
 * loop then calls `exec` each time the instruction runs, so everything that
 * does not depend on run-time state (operand size, register numbers, the shape
 * of the effective address, immediates) is settled here and not re-examined.
 *
 * The class has a fixed shape so that V8 keeps property access monomorphic.
 */
import type { Cpu } from './cpu.js';

export type Exec = (cpu: Cpu, i: Insn) => void;
/**
 * Source text for the block compiler: JavaScript statements that do what
 * `exec` does for this decoded instance, or undefined where the form has no
 * inline version. See jit/block-compiler.ts for the names the text may use.
 */
export type Emit = (i: Insn) => string | undefined;
/** Computes an instruction's memory operand as a canonical linear address. */
export type EaFn = (cpu: Cpu, i: Insn) => number;

/** Segment index used in 64-bit mode for segments whose base is architecturally 0. */
export const SEG_ZERO = 6;
/** `Insn.base` of a RIP-relative operand, whose `disp` then holds the absolute target. */
export const RIP_BASE = 16;

export class Insn {
  exec: Exec = () => {};
  /** Linear address of the first byte, and of the next instruction. */
  addr = 0;
  next = 0;
  len = 0;
  /** Opcode: 0x00-0xff primary, 0x0f00-0x0fff two-byte, 0x0f3800.. three-byte. */
  opcode = 0;
  /** SDM mnemonic of the table row, for traces and errors. */
  mnemonic = '';
  /** Effective operand size in bytes (1, 2, 4, 8) and address size in bytes (2, 4, 8). */
  opsize = 4;
  adsize = 8;
  /** ModRM fields: reg extended by REX.R, rm extended by REX.B (register form), mod. */
  modrm = -1;
  mod = 0;
  reg = 0;
  rm = 0;
  /** The raw 3-bit ModRM.reg field (the /digit of group opcodes). */
  regField = 0;
  /** A REX prefix was present: selects SPL/BPL/SIL/DIL over AH/CH/DH/BH. */
  rex = 0;
  /** Memory operand: a function of the registers, or null for register forms. */
  ea: EaFn | null = null;
  base = -1;
  index = -1;
  scale = 0;
  disp = 0;
  /** Segment whose base is added (a `Seg` value, or SEG_ZERO). */
  seg = SEG_ZERO;
  /** An explicit segment-override prefix, or -1. */
  segOverride = -1;
  /** First immediate (sign- or zero-extended per the operand type) and its high half for 64-bit. */
  imm = 0;
  immHi = 0;
  /** Second immediate (ENTER's nesting level, far pointer selector). */
  imm2 = 0;
  /** 0, 0xf2 (REPNE) or 0xf3 (REP/REPE). */
  rep = 0;
  lock = false;
  /** Control leaves the straight line (or the mode may change): the block ends here. */
  ends = false;
  emit: Emit | undefined = undefined;
}
