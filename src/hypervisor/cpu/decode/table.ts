/**
 * The opcode tables. Rows are written in the SDM's operand notation (Vol. 2D
 * appendix A.2): `E`/`G`/`M`/`R` ModRM operands, `I` immediates, `J` relative
 * offsets, `O` moffs, `Z` a register in the opcode's low bits, sizes `b w d q v
 * z y`. The decoder reads from a row's operand string how many bytes follow;
 * the row's `compile` picks the handler for the decoded instance.
 *
 * Rows are registered by the instruction-group files in `../ops`, one group per
 * file, in the manner of blink's and QEMU's decode tables.
 */
import { ud } from '../fault.js';
import type { Emit, Exec, Insn } from '../insn.js';

/** Immediate kinds, derived from the operand string. */
export const Imm = {
  NONE: 0, B: 1, W: 2, D: 3, Z: 4, V: 5, /** ENTER: Iw then Ib */ WB: 6,
  /** moffs: address-size bytes */ O: 7, /** far pointer: z then w */ P: 8,
} as const;
export type Imm = (typeof Imm)[keyof typeof Imm];

export interface RowSpec {
  /** SDM mnemonic. */
  m: string;
  /** Operands in SDM notation, comma separated; '' for none. */
  o: string;
  /** Build the handler for one decoded instance. */
  compile: (i: Insn) => Exec;
  /** Default operand size is 64 in 64-bit mode (PUSH, POP, LEAVE, ...). */
  d64?: boolean;
  /** Operand size is forced to 64 in 64-bit mode (near branches). */
  f64?: boolean;
  /** Invalid in 64-bit mode (#UD). */
  i64?: boolean;
  /** Only the memory form exists (register form is #UD unless `regForm` supplies one). */
  memOnly?: boolean;
  /** LOCK is allowed (with a memory destination). */
  lockable?: boolean;
  /** Ends a decoded block: unconditional control transfer, HLT, or a mode change. */
  ends?: boolean;
  /** ModRM always names a register, whatever its mod bits (MOV to/from CRn/DRn, SDM Vol. 2 "MOV—Move to/from Control Registers"). */
  forceReg?: boolean;
  /** Inline JavaScript for the block compiler (jit/), or none: the block then calls `exec`. */
  emit?: Emit;
}

export interface Row extends RowSpec {
  modrm: boolean;
  /** The first operand is a byte (Eb, Gb, AL, Xb, ...): operand size 1. */
  byteOp: boolean;
  immKind: Imm;
  /** Rows chosen by ModRM.reg (group opcodes). */
  group?: (Row | undefined)[];
  /** For groups whose register forms differ (0F 01, 0F AE): 64 rows chosen by ModRM bits 5:0 when mod = 3. */
  regForms?: (Row | undefined)[];
  /** Rows chosen by a mandatory prefix (F3/F2/66) in the 0F maps. */
  prefixed?: { f3?: Row; f2?: Row; p66?: Row };
}

/** Operand kinds encoded by ModRM: E G M R S C D followed by a size (bare M allowed); not registers like DX or CL. */
const MODRM_OPERAND = /^([EGRSCD][a-z]|M[a-z]?)$/;

function immOf(operands: string[]): Imm {
  const imms = operands.filter((o) => /^[IJO][a-z]$/.test(o) || o === 'Ap');
  if (imms.length === 2 && imms[0] === 'Iw' && imms[1] === 'Ib') return Imm.WB;
  const o = imms[0];
  if (!o) return Imm.NONE;
  if (o[0] === 'O') return Imm.O;
  if (o === 'Ap') return Imm.P;
  switch (o.slice(1)) {
    case 'b': return Imm.B;
    case 'w': return Imm.W;
    case 'd': return Imm.D;
    case 'z': return Imm.Z;
    case 'v': return Imm.V;
    default: throw new Error(`unknown immediate operand ${o}`);
  }
}

export function row(spec: RowSpec): Row {
  const ops = spec.o ? spec.o.split(',') : [];
  const first = ops[0] ?? '';
  const byteOp = first === 'AL' || /^[EGMRZOXY]b$/.test(first);
  return { ...spec, modrm: ops.some((o) => MODRM_OPERAND.test(o)), byteOp, immKind: immOf(ops) };
}

/**
 * A group opcode: the ModRM.reg field picks one of eight rows. `regForms`, if
 * given, replaces them for mod = 3, indexed by ModRM bits 5:0 (reg * 8 + rm).
 */
export function group(rows: (RowSpec | undefined)[], regForms?: (RowSpec | undefined)[]): Row {
  const g: Row = {
    m: 'group', o: 'E', compile: () => { throw new Error('group rows are resolved by the decoder'); },
    modrm: true, byteOp: false, immKind: Imm.NONE, group: rows.map((r) => (r ? row(r) : undefined)),
  };
  if (regForms !== undefined) {
    if (regForms.length > 64) throw new Error('regForms has at most 64 entries');
    g.regForms = Array.from({ length: 64 }, (_, k) => (regForms[k] ? row(regForms[k]!) : undefined));
  }
  return g;
}

export class OpcodeTable {
  readonly primary: (Row | undefined)[] = new Array(256);
  readonly secondary: (Row | undefined)[] = new Array(256);
  readonly map38: (Row | undefined)[] = new Array(256);

  private put(map: (Row | undefined)[], op: number, r: Row, name: string): void {
    if (map[op]) throw new Error(`opcode ${name} ${op.toString(16)} defined twice (${map[op]!.m} and ${r.m})`);
    map[op] = r;
  }

  /** One-byte opcodes. */
  one(op: number, r: RowSpec | Row): void { this.put(this.primary, op, 'modrm' in r ? r : row(r), 'one-byte'); }
  /** Two-byte opcodes (0F xx). */
  two(op: number, r: RowSpec | Row): void { this.put(this.secondary, op, 'modrm' in r ? r : row(r), '0F'); }
  /** Three-byte opcodes (0F 38 xx). */
  three38(op: number, r: RowSpec | Row): void { this.put(this.map38, op, 'modrm' in r ? r : row(r), '0F38'); }

  /** A 0F opcode whose meaning depends on a mandatory prefix; `none` is the unprefixed row. */
  twoPrefixed(op: number, rows: { none?: RowSpec; f3?: RowSpec; f2?: RowSpec; p66?: RowSpec }): void {
    const base = rows.none ? row(rows.none) : row({ m: '(bad)', o: rows.f3?.o ?? '', compile: () => () => { throw new Error('unreachable'); } });
    base.prefixed = {};
    if (rows.f3) base.prefixed.f3 = row(rows.f3);
    if (rows.f2) base.prefixed.f2 = row(rows.f2);
    if (rows.p66) base.prefixed.p66 = row(rows.p66);
    if (!rows.none) base.compile = undefinedRow;
    this.put(this.secondary, op, base, '0F');
  }
}

/** Compiles to #UD: used where a table position exists only with a mandatory prefix. */
const udExec: Exec = () => ud();
export const undefinedRow = (): Exec => udExec;

/** Expand eight rows indexed by ModRM.reg into the 64 regForms slots (rm ignored). */
export const byRegField = (rows: (RowSpec | undefined)[]): (RowSpec | undefined)[] =>
  Array.from({ length: 64 }, (_, k) => rows[k >> 3]);
