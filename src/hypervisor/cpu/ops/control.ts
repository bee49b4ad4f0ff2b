/**
 * Near control transfer: Jcc, JMP, CALL, RET, LOOPcc, JrCXZ (SDM Vol. 2,
 * "Jcc", "JMP", "CALL", "RET", "LOOP/LOOPcc", "JrCXZ"). In 64-bit mode the
 * operand size of near branches is forced to 64 bits, and a non-canonical
 * target raises #GP(0) at the branch itself.
 *
 * `cpu.rip` is a linear address. In 16- and 32-bit code the instruction
 * pointer proper is an offset into CS, which is what CALL pushes and RET pops,
 * and what wraps at the operand size; segment limits are not checked.
 */
import type { Cpu } from '../cpu.js';
import { CANON } from '../decode/ea.js';
import type { OpcodeTable, RowSpec } from '../decode/table.js';
import { GuestFault, Vector } from '../fault.js';
import { testCondition } from '../flags.js';
import type { Emit, Exec, Insn } from '../insn.js';
import { getE, prepareRm } from '../operands.js';
import { Reg, Seg, TWO32 } from '../regs.js';
import { adjustRsp, peekStack64, pop, push, push64 } from '../stack.js';

function checkTarget(t: number): number {
  if (t < -CANON || t >= CANON) throw new GuestFault(Vector.GP, 0);
  return t;
}

/** The relative target is a constant of the decoded instruction. */
const relTarget = (i: Insn): number => i.next + i.imm;
const canonical = (t: number): boolean => t >= -CANON && t < CANON;
const gpExec: Exec = () => { throw new GuestFault(Vector.GP, 0); };

/** Offset mask of the instruction pointer at an operand size of 2 or 4 bytes. */
const ipMask = (size: number): number => (size === 2 ? 0xffff : 0xffffffff);
/** Legacy modes: the linear target of an IP-relative branch, wrapping the offset at the operand size. */
const legacyTarget = (c: Cpu, i: Insn, offset: number): number => c.segBase[Seg.CS]! + (offset & ipMask(i.opsize)) % TWO32;
const ipOf = (c: Cpu, la: number): number => la - c.segBase[Seg.CS]!;

function jcc(i: Insn): Exec {
  const cc = i.opcode & 15, target = relTarget(i);
  if (i.opsize !== 8) return (c, i) => { if (testCondition(c, cc)) c.rip = legacyTarget(c, i, ipOf(c, target)); };
  if (!canonical(target)) return (c) => { if (testCondition(c, cc)) gpExec(c, i); };
  return (c) => { if (testCondition(c, cc)) c.rip = target; };
}

function jmpRel(i: Insn): Exec {
  const target = relTarget(i);
  if (i.opsize !== 8) return (c, i) => { c.rip = legacyTarget(c, i, ipOf(c, target)); };
  if (!canonical(target)) return gpExec;
  return (c) => { c.rip = target; };
}

function callRel(i: Insn): Exec {
  const target = relTarget(i), ret = i.next;
  if (i.opsize !== 8) {
    return (c, i) => {
      push(c, i.opsize, ipOf(c, ret) & ipMask(i.opsize), 0);
      c.rip = legacyTarget(c, i, ipOf(c, target));
    };
  }
  if (!canonical(target)) return gpExec;
  const retLo = ret | 0, retHi = Math.floor(ret / TWO32) | 0;
  return (c) => {
    push64(c, retLo, retHi);
    c.rip = target;
  };
}

/** The linear target of an indirect branch through the r/m operand. */
function indirect(i: Insn): (c: Cpu, i: Insn) => number {
  const size = i.opsize;
  prepareRm(i, size);
  const get = getE(i, size);
  if (size !== 8) return (c, i) => legacyTarget(c, i, get(c, i));
  return (c, i) => { const lo = get(c, i); return checkTarget(c.vhi * TWO32 + (lo >>> 0)); };
}

function jmpInd(i: Insn): Exec {
  const target = indirect(i);
  return (c, i) => { c.rip = target(c, i); };
}

function callInd(i: Insn): Exec {
  const target = indirect(i), ret = i.next, size = i.opsize;
  if (size !== 8) {
    return (c, i) => {
      const t = target(c, i);
      push(c, size, ipOf(c, ret) & ipMask(size), 0);
      c.rip = t;
    };
  }
  const retLo = ret | 0, retHi = Math.floor(ret / TWO32) | 0;
  return (c, i) => {
    const t = target(c, i);
    push64(c, retLo, retHi);
    c.rip = t;
  };
}

function ret(i: Insn): Exec {
  const release = i.opcode === 0xc2 ? i.imm : 0, size = i.opsize;
  if (size !== 8) {
    return (c, i) => {
      const t = legacyTarget(c, i, pop(c, size));
      adjustRsp(c, release);
      c.rip = t;
    };
  }
  return (c) => {
    const lo = peekStack64(c, 0);
    const t = checkTarget(c.vhi * TWO32 + (lo >>> 0));
    adjustRsp(c, 8 + release);
    c.rip = t;
  };
}

/** The count register at the address size: RCX, ECX or CX. */
function counter(i: Insn): { dec: (c: Cpu) => boolean; zero: (c: Cpu) => boolean } {
  const r = Reg.RCX;
  if (i.adsize === 8) {
    return {
      dec: (c) => {
        const lo = c.lo[r]!;
        c.lo[r] = lo - 1;
        if (lo === 0) c.hi[r] = c.hi[r]! - 1;
        return (c.lo[r]! | c.hi[r]!) !== 0;
      },
      zero: (c) => (c.lo[r]! | c.hi[r]!) === 0,
    };
  }
  if (i.adsize === 4) return { dec: (c) => { c.lo[r] = c.lo[r]! - 1; c.hi[r] = 0; return c.lo[r] !== 0; }, zero: (c) => c.lo[r] === 0 };
  return {
    dec: (c) => { const v = (c.lo[r]! - 1) & 0xffff; c.lo[r] = (c.lo[r]! & ~0xffff) | v; return v !== 0; },
    zero: (c) => (c.lo[r]! & 0xffff) === 0,
  };
}

function loop(i: Insn): Exec {
  const target = relTarget(i), { dec } = counter(i);
  let taken: (c: Cpu) => boolean;
  switch (i.opcode) {
    case 0xe0: taken = (c) => dec(c) && !testCondition(c, 4); break; // LOOPNE
    case 0xe1: taken = (c) => dec(c) && testCondition(c, 4); break;  // LOOPE
    default: taken = dec;
  }
  if (canonical(target)) return (c) => { if (taken(c)) c.rip = target; };
  // A fault leaves no trace of the instruction (SDM Vol. 3A §6.5): undo the decrement.
  return (c) => {
    const lo = c.lo[Reg.RCX]!, hi = c.hi[Reg.RCX]!;
    if (taken(c)) { c.lo[Reg.RCX] = lo; c.hi[Reg.RCX] = hi; gpExec(c, i); }
  };
}

function jrcxz(i: Insn): Exec {
  const target = relTarget(i), { zero } = counter(i);
  if (!canonical(target)) return (c) => { if (zero(c)) gpExec(c, i); };
  return (c) => { if (zero(c)) c.rip = target; };
}

// ---- inline forms for the block compiler ----------------------------------------------

const emitJcc: Emit = (i) => {
  const target = relTarget(i);
  return i.opsize === 8 && canonical(target) ? `if (H.testCondition(c, ${i.opcode & 15})) { c.rip = ${target}; $RET }` : undefined;
};

const emitJmpRel: Emit = (i) => {
  const target = relTarget(i);
  return i.opsize === 8 && canonical(target) ? `c.rip = ${target}; $RET` : undefined;
};

const emitCallRel: Emit = (i) => {
  const target = relTarget(i);
  if (i.opsize !== 8 || !canonical(target)) return undefined;
  return `H.push64(c, ${i.next | 0}, ${Math.floor(i.next / TWO32) | 0}); c.rip = ${target}; $RET`;
};

export const CALL_EV: RowSpec = { m: 'CALL', o: 'Ev', f64: true, ends: true, compile: callInd };
export const JMP_EV: RowSpec = { m: 'JMP', o: 'Ev', f64: true, ends: true, compile: jmpInd };

export function register(t: OpcodeTable): void {
  for (let cc = 0; cc < 16; cc++) {
    t.one(0x70 + cc, { m: 'Jcc', o: 'Jb', f64: true, compile: jcc, emit: emitJcc });
    t.two(0x80 + cc, { m: 'Jcc', o: 'Jz', f64: true, compile: jcc, emit: emitJcc });
  }
  t.one(0xeb, { m: 'JMP', o: 'Jb', f64: true, ends: true, compile: jmpRel, emit: emitJmpRel });
  t.one(0xe9, { m: 'JMP', o: 'Jz', f64: true, ends: true, compile: jmpRel, emit: emitJmpRel });
  t.one(0xe8, { m: 'CALL', o: 'Jz', f64: true, ends: true, compile: callRel, emit: emitCallRel });
  t.one(0xc3, { m: 'RET', o: '', f64: true, ends: true, compile: ret });
  t.one(0xc2, { m: 'RET', o: 'Iw', f64: true, ends: true, compile: ret });
  t.one(0xe0, { m: 'LOOPNE', o: 'Jb', f64: true, compile: loop });
  t.one(0xe1, { m: 'LOOPE', o: 'Jb', f64: true, compile: loop });
  t.one(0xe2, { m: 'LOOP', o: 'Jb', f64: true, compile: loop });
  t.one(0xe3, { m: 'JrCXZ', o: 'Jb', f64: true, compile: jrcxz });
}
