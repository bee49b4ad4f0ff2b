/**
 * Data movement: MOV, MOVZX/MOVSX/MOVSXD, LEA, XCHG, CMOVcc, SETcc, NOP
 * (SDM Vol. 2, "MOV", "MOVZX", "MOVSX/MOVSXD", "LEA", "XCHG", "CMOVcc", "SETcc").
 */
import type { OpcodeTable, RowSpec } from '../decode/table.js';
import { testCondition } from '../flags.js';
import type { Emit, Exec, Insn } from '../insn.js';
import { eaCode } from '../jit/snippets.js';
import { getE, getG, prepareReg, prepareRm, putE, putG, readMem, readMemForWrite, setReg, writeMem } from '../operands.js';
import { TWO32 } from '../regs.js';

/** The register encoded in an opcode's low three bits, extended by REX.B ("Z" operands). */
export const opcodeReg = (i: Insn): number => (i.opcode & 7) | ((i.rex & 1) << 3);

function movEG(i: Insn): Exec {
  const size = i.opsize;
  prepareRm(i, size); prepareReg(i, size);
  const get = getG(size), put = putE(i, size);
  if (size === 8 && i.ea === null) return (c, i) => { c.lo[i.rm] = c.lo[i.reg]!; c.hi[i.rm] = c.hi[i.reg]!; };
  return (c, i) => { const v = get(c, i); put(c, i, v, c.vhi); };
}

function movGE(i: Insn): Exec {
  const size = i.opsize;
  prepareRm(i, size); prepareReg(i, size);
  const get = getE(i, size), put = putG(size);
  if (size === 8 && i.ea === null) return (c, i) => { c.lo[i.reg] = c.lo[i.rm]!; c.hi[i.reg] = c.hi[i.rm]!; };
  if (size === 8) return (c, i) => { const lo = c.mmu.read64(i.ea!(c, i)); c.lo[i.reg] = lo; c.hi[i.reg] = c.mmu.hi; };
  if (size === 4 && i.ea !== null) return (c, i) => { c.lo[i.reg] = c.mmu.read32(i.ea!(c, i)); c.hi[i.reg] = 0; };
  return (c, i) => { const v = get(c, i); put(c, i, v, c.vhi); };
}

function movEI(i: Insn): Exec {
  const size = i.opsize;
  prepareRm(i, size);
  const put = putE(i, size);
  return (c, i) => put(c, i, i.imm, i.immHi);
}

function movZI(i: Insn): Exec {
  const size = i.opsize;
  i.rm = opcodeReg(i);
  prepareRm(i, size);
  const put = putE(i, size);
  return (c, i) => put(c, i, i.imm, i.immHi);
}

/** MOVZX/MOVSX: read `from` bytes, extend into the operand size. */
function extend(i: Insn, from: 1 | 2 | 4, signed: boolean): Exec {
  prepareRm(i, from);
  const get = getE(i, from), size = i.opsize;
  const shift = 32 - from * 8;
  return (c, i) => {
    const raw = get(c, i);
    const v = signed ? (raw << shift) >> shift : from === 4 ? raw : raw & (from === 1 ? 0xff : 0xffff);
    setReg(c, i.reg, size, v, signed ? v >> 31 : 0);
  };
}

function lea(i: Insn): Exec {
  const size = i.opsize, base = i.base, index = i.index, scale = 1 << i.scale;
  // LEA computes the offset only: no segment base, no canonical check, wrapped to
  // the address size and then truncated to the operand size. gcc uses it for plain
  // arithmetic on arbitrary 64-bit values, so the sum is done exactly in halves.
  return (c, i) => {
    let lo = i.disp, hi = 0; // a negative disp borrows through the floor() below
    if (base >= 16) { hi = Math.floor(i.disp / TWO32); lo = i.disp - hi * TWO32; } // RIP-relative: disp holds the target
    else if (base >= 0) { lo += c.lo[base]! >>> 0; hi += c.hi[base]!; }
    if (index >= 0) { lo += (c.lo[index]! >>> 0) * scale; hi += c.hi[index]! * scale; }
    hi = (hi + Math.floor(lo / TWO32)) | 0;
    lo |= 0;
    if (i.adsize !== 8) { hi = 0; if (i.adsize === 2) lo &= 0xffff; }
    setReg(c, i.reg, size, lo, hi);
  };
}

function xchg(i: Insn): Exec {
  const size = i.opsize;
  prepareRm(i, size); prepareReg(i, size);
  const getRm = getE(i, size), getReg = getG(size), putReg = putG(size);
  if (i.ea !== null) {
    return (c, i) => {
      const a = i.ea!(c, i);
      const m = readMemForWrite(c, a, size), mhi = c.vhi;
      const r = getReg(c, i), rhi = c.vhi;
      writeMem(c, a, size, r, rhi);
      putReg(c, i, m, mhi);
    };
  }
  const putRm = putE(i, size);
  return (c, i) => {
    const m = getRm(c, i), mhi = c.vhi;
    const r = getReg(c, i), rhi = c.vhi;
    putRm(c, i, r, rhi);
    putReg(c, i, m, mhi);
  };
}

function xchgAcc(i: Insn): Exec {
  const r = opcodeReg(i), size = i.opsize;
  // 90 without REX.B is NOP, even at operand size 32 (it must not zero RAX's upper half).
  if (r === 0) return () => {};
  return (c) => {
    const a = c.lo[0]!, ah = c.hi[0]!;
    setReg(c, 0, size, c.lo[r]!, c.hi[r]!);
    setReg(c, r, size, a, ah);
  };
}

function cmov(i: Insn): Exec {
  const size = i.opsize, cc = i.opcode & 15;
  prepareRm(i, size);
  const get = getE(i, size);
  // The source is read (and may fault) whatever the condition; a 32-bit CMOV always
  // zero-extends its destination (SDM Vol. 2 "CMOVcc", 64-bit mode note).
  return (c, i) => {
    const v = get(c, i), vh = c.vhi;
    if (testCondition(c, cc)) setReg(c, i.reg, size, v, vh);
    else if (size === 4) c.hi[i.reg] = 0;
  };
}

function setcc(i: Insn): Exec {
  const cc = i.opcode & 15;
  prepareRm(i, 1);
  const put = putE(i, 1);
  return (c, i) => put(c, i, testCondition(c, cc) ? 1 : 0, 0);
}

// ---- inline forms for the block compiler ----------------------------------------------

const is32or64 = (i: Insn): boolean => i.opsize === 4 || i.opsize === 8;

/** MOV r/m, reg (89). */
const emitMovEG: Emit = (i) => {
  if (!is32or64(i)) return undefined;
  const w = i.opsize === 8;
  if (i.ea === null) return `lo[${i.rm}] = lo[${i.reg}]; hi[${i.rm}] = ${w ? `hi[${i.reg}]` : 0};`;
  const ea = eaCode(i);
  if (ea === undefined) return undefined;
  return ea + (w ? `m.write64(a, lo[${i.reg}], hi[${i.reg}]);` : `m.write32(a, lo[${i.reg}]);`);
};

/** MOV reg, r/m (8B). */
const emitMovGE: Emit = (i) => {
  if (!is32or64(i)) return undefined;
  const w = i.opsize === 8;
  if (i.ea === null) return `lo[${i.reg}] = lo[${i.rm}]; hi[${i.reg}] = ${w ? `hi[${i.rm}]` : 0};`;
  const ea = eaCode(i);
  if (ea === undefined) return undefined;
  return ea + (w ? `const v = m.read64(a); hi[${i.reg}] = m.hi; lo[${i.reg}] = v;` : `lo[${i.reg}] = m.read32(a); hi[${i.reg}] = 0;`);
};

/** MOV r/m, imm (C7) and MOV reg, imm (B8+r): the decoder has put the register in rm. */
const emitMovImm: Emit = (i) => {
  if (!is32or64(i)) return undefined;
  const hiVal = i.opsize === 8 ? i.immHi : 0;
  if (i.ea === null) return `lo[${i.rm}] = ${i.imm}; hi[${i.rm}] = ${hiVal};`;
  const ea = eaCode(i);
  if (ea === undefined) return undefined;
  return ea + (i.opsize === 8 ? `m.write64(a, ${i.imm}, ${hiVal});` : `m.write32(a, ${i.imm});`);
};

/** LEA with 64-bit addressing: the exact two-half sum of the interpreter's `lea`. */
const emitLea: Emit = (i) => {
  if (!is32or64(i) || i.adsize !== 8) return undefined;
  let code: string;
  if (i.base >= 16) {
    const h = Math.floor(i.disp / TWO32);
    code = `const t = ${i.disp - h * TWO32}; let th = ${h};`;
  } else {
    code = `let t = ${i.disp}; let th = 0;`;
    if (i.base >= 0) code += ` t += lo[${i.base}] >>> 0; th += hi[${i.base}];`;
  }
  if (i.index >= 0) code += ` t += (lo[${i.index}] >>> 0) * ${1 << i.scale}; th += hi[${i.index}] * ${1 << i.scale};`;
  return code + (i.opsize === 8
    ? ` hi[${i.reg}] = (th + Math.floor(t / ${TWO32})) | 0; lo[${i.reg}] = t | 0;`
    : ` lo[${i.reg}] = t | 0; hi[${i.reg}] = 0;`);
};

/** MOVZX/MOVSX/MOVSXD into a 32/64-bit register. */
const emitExtend = (from: 1 | 2 | 4, signed: boolean): Emit => (i) => {
  if (!is32or64(i) || (from === 4 && i.opsize !== 8)) return undefined;
  if (i.ea === null) {
    const src = from === 1 && i.rm >= 16 ? `(lo[${i.rm - 16}] >> 8)` : `lo[${i.rm}]`;
    return `const x = ${src}; ${extendStore(i, from, signed)}`;
  }
  const ea = eaCode(i);
  if (ea === undefined) return undefined;
  return `${ea} const x = m.read${from * 8}(a); ${extendStore(i, from, signed)}`;
};

function extendStore(i: Insn, from: 1 | 2 | 4, signed: boolean): string {
  const shift = 32 - from * 8;
  const v = signed ? (from === 4 ? 'x' : `((x << ${shift}) >> ${shift})`) : from === 4 ? 'x' : `(x & ${from === 1 ? 0xff : 0xffff})`;
  return `const v = ${v}; lo[${i.reg}] = v; hi[${i.reg}] = ${signed && i.opsize === 8 ? 'v >> 31' : 0};`;
}

const nop: Exec = () => {};

export function register(t: OpcodeTable): void {
  t.one(0x88, { m: 'MOV', o: 'Eb,Gb', compile: movEG });
  t.one(0x89, { m: 'MOV', o: 'Ev,Gv', compile: movEG, emit: emitMovEG });
  t.one(0x8a, { m: 'MOV', o: 'Gb,Eb', compile: movGE });
  t.one(0x8b, { m: 'MOV', o: 'Gv,Ev', compile: movGE, emit: emitMovGE });
  t.one(0x8d, { m: 'LEA', o: 'Gv,M', memOnly: true, compile: lea, emit: emitLea });
  for (let r = 0; r < 8; r++) {
    t.one(0xb0 + r, { m: 'MOV', o: 'Zb,Ib', compile: movZI });
    t.one(0xb8 + r, { m: 'MOV', o: 'Zv,Iv', compile: movZI, emit: emitMovImm });
    t.one(0x90 + r, { m: r === 0 ? 'NOP' : 'XCHG', o: 'Zv,rAX', compile: xchgAcc });
  }
  t.one(0x86, { m: 'XCHG', o: 'Eb,Gb', lockable: true, compile: xchg });
  t.one(0x87, { m: 'XCHG', o: 'Ev,Gv', lockable: true, compile: xchg });
  t.one(0x63, { m: 'MOVSXD', o: 'Gv,Ed', compile: (i) => (i.opsize === 8 ? extend(i, 4, true) : extend(i, i.opsize === 2 ? 2 : 4, false)), emit: emitExtend(4, true) });
  t.two(0xb6, { m: 'MOVZX', o: 'Gv,Eb', compile: (i) => extend(i, 1, false), emit: emitExtend(1, false) });
  t.two(0xb7, { m: 'MOVZX', o: 'Gv,Ew', compile: (i) => extend(i, 2, false), emit: emitExtend(2, false) });
  t.two(0xbe, { m: 'MOVSX', o: 'Gv,Eb', compile: (i) => extend(i, 1, true), emit: emitExtend(1, true) });
  t.two(0xbf, { m: 'MOVSX', o: 'Gv,Ew', compile: (i) => extend(i, 2, true), emit: emitExtend(2, true) });
  for (let cc = 0; cc < 16; cc++) {
    t.two(0x40 + cc, { m: 'CMOVcc', o: 'Gv,Ev', compile: cmov });
    t.two(0x90 + cc, { m: 'SETcc', o: 'Eb', compile: setcc });
  }
  t.two(0x1f, { m: 'NOP', o: 'Ev', compile: () => nop });
  // Moffs forms: the address is the immediate, plus FS/GS base if overridden.
  const moffs = (load: boolean) => (i: Insn): Exec => {
    const size = i.opsize;
    const addr = i.adsize === 8 ? i.immHi * TWO32 + (i.imm >>> 0) : i.imm >>> 0;
    i.rm = 0;
    return (c, i) => {
      const a = addr + c.segBase[i.seg]!;
      if (load) { const v = readMem(c, a, size); setReg(c, 0, size, v, c.vhi); }
      else writeMem(c, a, size, c.lo[0]!, c.hi[0]!);
    };
  };
  t.one(0xa0, { m: 'MOV', o: 'AL,Ob', compile: moffs(true) });
  t.one(0xa1, { m: 'MOV', o: 'rAX,Ov', compile: moffs(true) });
  t.one(0xa2, { m: 'MOV', o: 'Ob,AL', compile: moffs(false) });
  t.one(0xa3, { m: 'MOV', o: 'Ov,rAX', compile: moffs(false) });
}

export const MOV_EI = (o: string): RowSpec => ({ m: 'MOV', o, compile: movEI, emit: emitMovImm });
