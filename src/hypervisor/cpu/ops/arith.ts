/**
 * Integer arithmetic: the ALU block 00-3F, group 1 (80/81/83), TEST, INC/DEC,
 * NEG/NOT (SDM Vol. 2, "ADD" ... "XOR"; opcode map appendix A table A-2).
 */
import { ALU_NAMES, AluOp, alu, alu64, incdec } from '../alu.js';
import type { Cpu } from '../cpu.js';
import type { RowSpec, OpcodeTable } from '../decode/table.js';
import type { Emit, Exec, Insn } from '../insn.js';
import { aluCode, eaCode, loadReg, loadRm, storeReg, storeRm } from '../jit/snippets.js';
import { getE, getG, prepareReg, prepareRm, putE, putG, readMem, readMemForWrite, sizeMask, writeMem, type Getter } from '../operands.js';

const bits = (size: number): number => size * 8;

/** `E op= src` (or CMP/TEST, which only set flags), for any width; `src` is G or an immediate. */
function aluToE(op: number, i: Insn, src: Getter | 'imm'): Exec {
  const size = i.opsize;
  prepareRm(i, size);
  if (src !== 'imm') prepareReg(i, size);
  const compare = op === AluOp.CMP;
  if (size === 8) {
    const get = getE(i, 8);
    if (i.ea !== null) {
      return (c, i) => {
        const a = i.ea!(c, i);
        const lo = compare ? c.mmu.read64(a) : c.mmu.readW64(a), hi = c.mmu.hi;
        let blo: number, bhi: number;
        if (src === 'imm') { blo = i.imm; bhi = i.immHi; } else { blo = src(c, i); bhi = c.vhi; }
        const r = alu64(c, op, lo, hi, blo, bhi);
        if (!compare) c.mmu.write64(a, r, c.vhi);
      };
    }
    return (c, i) => {
      const lo = get(c, i), hi = c.vhi;
      let blo: number, bhi: number;
      if (src === 'imm') { blo = i.imm; bhi = i.immHi; } else { blo = src(c, i); bhi = c.vhi; }
      const r = alu64(c, op, lo, hi, blo, bhi);
      if (!compare) { c.lo[i.rm] = r; c.hi[i.rm] = c.vhi; }
    };
  }
  const b = bits(size), mask = sizeMask(size);
  if (i.ea !== null) {
    const rd = compare
      ? (c: Cpu, a: number) => readMem(c, a, size)
      : (c: Cpu, a: number) => readMemForWrite(c, a, size);
    const wr = size === 1 ? (c: Cpu, a: number, v: number) => c.mmu.write8(a, v) : size === 2 ? (c: Cpu, a: number, v: number) => c.mmu.write16(a, v) : (c: Cpu, a: number, v: number) => c.mmu.write32(a, v);
    return (c, i) => {
      const a = i.ea!(c, i);
      const r = alu(c, op, b, rd(c, a), src === 'imm' ? i.imm & mask : src(c, i));
      if (!compare) wr(c, a, r);
    };
  }
  const get = getE(i, size), put = putE(i, size);
  return (c, i) => {
    const r = alu(c, op, b, get(c, i), src === 'imm' ? i.imm & mask : src(c, i));
    if (!compare) put(c, i, r, 0);
  };
}

/** `G op= E`. */
function aluToG(op: number, i: Insn): Exec {
  const size = i.opsize;
  prepareRm(i, size);
  prepareReg(i, size);
  const getRm = getE(i, size), getReg = getG(size), put = putG(size);
  const compare = op === AluOp.CMP;
  if (size === 8) {
    return (c, i) => {
      const blo = getRm(c, i), bhi = c.vhi;
      const r = alu64(c, op, c.lo[i.reg]!, c.hi[i.reg]!, blo, bhi);
      if (!compare) { c.lo[i.reg] = r; c.hi[i.reg] = c.vhi; }
    };
  }
  const b = bits(size);
  return (c, i) => {
    const r = alu(c, op, b, getReg(c, i), getRm(c, i));
    if (!compare) put(c, i, r, 0);
  };
}

/** `AL/eAX op= imm`: the accumulator forms 04, 05, 0C, 0D, ... */
function aluToAcc(op: number, i: Insn): Exec {
  i.rm = 0; // the accumulator, as an r/m register
  i.ea = null;
  return aluToE(op, i, 'imm');
}

const logicTest = (i: Insn, src: Getter | 'imm'): Exec => {
  // TEST is AND without the write-back.
  const size = i.opsize;
  prepareRm(i, size);
  if (src !== 'imm') prepareReg(i, size);
  const get = getE(i, size);
  if (size === 8) {
    return (c, i) => {
      const lo = get(c, i), hi = c.vhi;
      if (src === 'imm') alu64(c, AluOp.AND, lo, hi, i.imm, i.immHi);
      else { const blo = src(c, i); alu64(c, AluOp.AND, lo, hi, blo, c.vhi); }
    };
  }
  const b = bits(size), mask = sizeMask(size);
  return (c, i) => { alu(c, AluOp.AND, b, get(c, i), src === 'imm' ? i.imm & mask : src(c, i)); };
};

type UnaryKind = 'inc' | 'dec' | 'neg' | 'not';

/** The result of a unary operation on (lo, hi) at `size`; the high half goes to `c.vhi`. */
function applyUnary(c: Cpu, kind: UnaryKind, size: number, lo: number, hi: number): number {
  switch (kind) {
    case 'inc': return incdec(c, false, size * 8, lo, hi);
    case 'dec': return incdec(c, true, size * 8, lo, hi);
    case 'neg': return size === 8 ? alu64(c, AluOp.SUB, 0, 0, lo, hi) : alu(c, AluOp.SUB, size * 8, 0, lo);
    default: c.vhi = ~hi; return ~lo & sizeMask(size);
  }
}

function unary(kind: UnaryKind, i: Insn): Exec {
  const size = i.opsize;
  prepareRm(i, size);
  if (i.ea !== null) {
    // Read-modify-write: one address computation, so the read and the write agree.
    return (c, i) => {
      const a = i.ea!(c, i);
      const lo = readMemForWrite(c, a, size);
      const r = applyUnary(c, kind, size, lo, c.vhi);
      writeMem(c, a, size, r, c.vhi);
    };
  }
  if (size === 8) {
    return (c, i) => {
      const r = applyUnary(c, kind, 8, c.lo[i.rm]!, c.hi[i.rm]!);
      c.lo[i.rm] = r; c.hi[i.rm] = c.vhi;
    };
  }
  if (size === 4) {
    return (c, i) => { c.lo[i.rm] = applyUnary(c, kind, 4, c.lo[i.rm]!, 0); c.hi[i.rm] = 0; };
  }
  const get = getE(i, size), put = putE(i, size);
  return (c, i) => put(c, i, applyUnary(c, kind, size, get(c, i), 0), 0);
}

// ---- inline forms for the block compiler ----------------------------------------------

/** The inline operation per AluOp (CMP computes a SUB); ADC and SBB have none. */
const ALU_INLINE = ['add', 'or', undefined, undefined, 'and', 'sub', 'xor', 'sub'] as const;

/**
 * ALU at 32/64 bits. `form` names where the destination and source are: E,G
 * (r/m op= reg), G,E (reg op= r/m) or E,I (r/m op= imm). `store` false for
 * CMP and TEST.
 */
function emitAlu(op: number, form: 'EG' | 'GE' | 'EI', store = op !== AluOp.CMP): Emit {
  const kind = ALU_INLINE[op];
  return (i) => {
    const size = i.opsize;
    if (kind === undefined || (size !== 4 && size !== 8)) return undefined;
    const ea = i.ea === null ? '' : eaCode(i);
    if (ea === undefined) return undefined;
    let operands: string;
    if (form === 'GE') operands = loadReg(i.reg, size, 'd') + loadRm(i, size, 's');
    else {
      operands = loadRm(i, size, 'd', store);
      operands += form === 'EG' ? loadReg(i.reg, size, 's') : size === 8 ? `const s = ${i.imm}, sh = ${i.immHi};` : `const s = ${i.imm};`;
    }
    const write = !store ? '' : form === 'GE' ? storeReg(i.reg, size) : storeRm(i, size);
    return ea + operands + aluCode(kind, size) + write;
  };
}

/** INC/DEC of a 32/64-bit register, through the interpreter's incdec (which keeps CF). */
const emitIncDec = (dec: boolean): Emit => (i) => {
  if (i.ea !== null || (i.opsize !== 4 && i.opsize !== 8)) return undefined;
  const r = i.rm;
  return i.opsize === 8
    ? `lo[${r}] = H.incdec(c, ${dec}, 64, lo[${r}], hi[${r}]); hi[${r}] = c.vhi;`
    : `lo[${r}] = H.incdec(c, ${dec}, 32, lo[${r}], 0); hi[${r}] = 0;`;
};

// Group members, shared with the group tables in groups.ts.
export const GROUP1: RowSpec[] = ALU_NAMES.map((m, op) => ({ m, o: 'Ev,Iz', lockable: op !== AluOp.CMP, compile: (i: Insn) => aluToE(op, i, 'imm'), emit: emitAlu(op, 'EI') }));
export const group1 = (o: string): RowSpec[] => GROUP1.map((r) => ({ ...r, o }));
export const TEST_EI = (o: string): RowSpec => ({ m: 'TEST', o, compile: (i) => logicTest(i, 'imm'), emit: emitAlu(AluOp.AND, 'EI', false) });
export const NOT = (o: string): RowSpec => ({ m: 'NOT', o, lockable: true, compile: (i) => unary('not', i) });
export const NEG = (o: string): RowSpec => ({ m: 'NEG', o, lockable: true, compile: (i) => unary('neg', i) });
export const INC = (o: string): RowSpec => ({ m: 'INC', o, lockable: true, compile: (i) => unary('inc', i), emit: emitIncDec(false) });
export const DEC = (o: string): RowSpec => ({ m: 'DEC', o, lockable: true, compile: (i) => unary('dec', i), emit: emitIncDec(true) });

export function register(t: OpcodeTable): void {
  for (let op = 0; op < 8; op++) {
    const m = ALU_NAMES[op]!, base = op << 3, lockable = op !== AluOp.CMP;
    t.one(base + 0, { m, o: 'Eb,Gb', lockable, compile: (i) => aluToE(op, i, getG(1)) });
    t.one(base + 1, { m, o: 'Ev,Gv', lockable, compile: (i) => aluToE(op, i, getG(i.opsize)), emit: emitAlu(op, 'EG') });
    t.one(base + 2, { m, o: 'Gb,Eb', compile: (i) => aluToG(op, i) });
    t.one(base + 3, { m, o: 'Gv,Ev', compile: (i) => aluToG(op, i), emit: emitAlu(op, 'GE') });
    t.one(base + 4, { m, o: 'AL,Ib', compile: (i) => aluToAcc(op, i) });
    t.one(base + 5, { m, o: 'rAX,Iz', compile: (i) => aluToAcc(op, i), emit: emitAlu(op, 'EI') });
  }
  // INC/DEC with the register in the opcode: 16- and 32-bit modes only, where 40-4F are not REX.
  for (let r = 0; r < 8; r++) {
    t.one(0x40 + r, { m: 'INC', o: 'Zv', i64: true, compile: (i) => { i.rm = r; i.ea = null; return unary('inc', i); } });
    t.one(0x48 + r, { m: 'DEC', o: 'Zv', i64: true, compile: (i) => { i.rm = r; i.ea = null; return unary('dec', i); } });
  }
  t.one(0x84, { m: 'TEST', o: 'Eb,Gb', compile: (i) => logicTest(i, getG(1)) });
  t.one(0x85, { m: 'TEST', o: 'Ev,Gv', compile: (i) => logicTest(i, getG(i.opsize)), emit: emitAlu(AluOp.AND, 'EG', false) });
  t.one(0xa8, { m: 'TEST', o: 'AL,Ib', compile: (i) => { i.rm = 0; i.ea = null; return logicTest(i, 'imm'); } });
  t.one(0xa9, { m: 'TEST', o: 'rAX,Iz', compile: (i) => { i.rm = 0; i.ea = null; return logicTest(i, 'imm'); }, emit: emitAlu(AluOp.AND, 'EI', false) });
}
