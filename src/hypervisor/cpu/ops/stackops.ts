/**
 * Stack instructions: PUSH, POP, PUSHF, POPF, ENTER, LEAVE (SDM Vol. 2). In
 * 64-bit mode their operand size defaults to 64 and can only be overridden to
 * 16 bits (66 prefix).
 */
import type { OpcodeTable, RowSpec } from '../decode/table.js';
import { readRflags } from '../flags.js';
import type { Emit, Exec, Insn } from '../insn.js';
import { InterceptKind } from '../intercept.js';
import { getE, prepareRm, putE } from '../operands.js';
import { Flag, Reg, TWO32 } from '../regs.js';
import { adjustRsp, pop, push, push64 } from '../stack.js';
import { opcodeReg } from './mov.js';

function pushReg(i: Insn): Exec {
  const r = opcodeReg(i), size = i.opsize;
  if (size === 8) return (c) => push64(c, c.lo[r]!, c.hi[r]!);
  return (c) => push(c, size, c.lo[r]!, 0);
}

function popReg(i: Insn): Exec {
  const r = opcodeReg(i), size = i.opsize;
  if (size === 8) return (c) => { const lo = pop(c, 8); c.lo[r] = lo; c.hi[r] = c.vhi; };
  if (size === 4) return (c) => { c.lo[r] = pop(c, 4); c.hi[r] = 0; };
  return (c) => { const v = pop(c, 2); c.lo[r] = (c.lo[r]! & ~0xffff) | v; };
}

function pushImm(i: Insn): Exec {
  const size = i.opsize;
  return (c, i) => push(c, size, i.imm, i.immHi);
}

function pushE(i: Insn): Exec {
  const size = i.opsize;
  prepareRm(i, size);
  const get = getE(i, size);
  return (c, i) => { const v = get(c, i); push(c, size, v, c.vhi); };
}

function popE(i: Insn): Exec {
  const size = i.opsize;
  prepareRm(i, size);
  const put = putE(i, size);
  // POP computes an RSP-based destination address after incrementing RSP (SDM Vol. 2 "POP").
  // If the store faults, RSP must be restored so that the instruction can be restarted.
  return (c, i) => {
    const saveLo = c.lo[Reg.RSP]!, saveHi = c.hi[Reg.RSP]!;
    const v = pop(c, size), vh = c.vhi;
    try {
      put(c, i, v, vh);
    } catch (e) {
      c.lo[Reg.RSP] = saveLo;
      c.hi[Reg.RSP] = saveHi;
      throw e;
    }
  };
}

function pushf(i: Insn): Exec {
  const size = i.opsize;
  // The image has VM and RF cleared (SDM Vol. 2 "PUSHF").
  return (c, i) => {
    if (c.intercepts.pushf) c.intercept({ kind: InterceptKind.PUSHF, rip: i.addr, length: i.len });
    push(c, size, readRflags(c) & ~(Flag.VM | Flag.RF), 0);
  };
}

/**
 * POPF (SDM Vol. 2 "POPF", 64-bit mode): RF is cleared; VM, VIF and VIP keep
 * their values; IOPL changes only at CPL 0 and IF only when CPL <= IOPL.
 */
function popf(i: Insn): Exec {
  const size = i.opsize;
  return (c, i) => {
    if (c.intercepts.popf) c.intercept({ kind: InterceptKind.POPF, rip: i.addr, length: i.len });
    const v = pop(c, size);
    const iopl = (c.rflags >> 12) & 3;
    let writable = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.TF | Flag.DF | Flag.OF | Flag.NT;
    if (size !== 2) writable |= Flag.AC | Flag.ID;
    if (c.cpl === 0) writable |= Flag.IOPL;
    if (c.cpl <= iopl) writable |= Flag.IF;
    const old = readRflags(c) & ~Flag.RF;
    c.setRflags((old & ~writable) | (v & writable));
  };
}

function leave(i: Insn): Exec {
  const size = i.opsize;
  return (c) => {
    // Read [RBP] before committing RSP so that a fault leaves RSP unchanged.
    const rbpLo = c.lo[Reg.RBP]!, rbpHi = c.hi[Reg.RBP]!;
    const saveLo = c.lo[Reg.RSP]!, saveHi = c.hi[Reg.RSP]!;
    c.lo[Reg.RSP] = rbpLo; c.hi[Reg.RSP] = rbpHi;
    try {
      const v = pop(c, size);
      if (size === 8) { c.lo[Reg.RBP] = v; c.hi[Reg.RBP] = c.vhi; } else c.lo[Reg.RBP] = (c.lo[Reg.RBP]! & ~0xffff) | v;
    } catch (e) {
      c.lo[Reg.RSP] = saveLo; c.hi[Reg.RSP] = saveHi;
      throw e;
    }
  };
}

/** ENTER Iw, Ib (SDM Vol. 2 "ENTER", 64-bit operation), including nesting levels. */
function enter(i: Insn): Exec {
  const size = i.opsize, alloc = i.imm & 0xffff, level = i.imm2 & 31;
  return (c) => {
    const saveLo = c.lo[Reg.RSP]!, saveHi = c.hi[Reg.RSP]!;
    const rbpLo = c.lo[Reg.RBP]!, rbpHi = c.hi[Reg.RBP]!;
    try {
      push(c, size, rbpLo, rbpHi);
      const frameLo = c.lo[Reg.RSP]!, frameHi = c.hi[Reg.RSP]!;
      if (level > 0) {
        let fp = rbpHi * TWO32 + (rbpLo >>> 0);
        for (let k = 1; k < level; k++) {
          fp -= size;
          const v = size === 8 ? c.mmu.read64(fp) : c.mmu.read16(fp);
          push(c, size, v, c.mmu.hi);
        }
        push(c, size, frameLo, frameHi);
      }
      adjustRsp(c, -alloc);
      if (size === 8) { c.lo[Reg.RBP] = frameLo; c.hi[Reg.RBP] = frameHi; } else c.lo[Reg.RBP] = (c.lo[Reg.RBP]! & ~0xffff) | (frameLo & 0xffff);
    } catch (e) {
      c.lo[Reg.RSP] = saveLo; c.hi[Reg.RSP] = saveHi;
      throw e;
    }
  };
}

const emitPushReg: Emit = (i) => {
  if (i.opsize !== 8) return undefined;
  const r = opcodeReg(i);
  return `H.push64(c, lo[${r}], hi[${r}]);`;
};

const emitPopReg: Emit = (i) => {
  if (i.opsize !== 8) return undefined;
  const r = opcodeReg(i);
  return `const v = H.pop64(c); hi[${r}] = c.vhi; lo[${r}] = v;`;
};

export const PUSH_EV: RowSpec = { m: 'PUSH', o: 'Ev', d64: true, compile: pushE };
export const POP_EV: RowSpec = { m: 'POP', o: 'Ev', d64: true, compile: popE };

export function register(t: OpcodeTable): void {
  for (let r = 0; r < 8; r++) {
    t.one(0x50 + r, { m: 'PUSH', o: 'Zv', d64: true, compile: pushReg, emit: emitPushReg });
    t.one(0x58 + r, { m: 'POP', o: 'Zv', d64: true, compile: popReg, emit: emitPopReg });
  }
  t.one(0x68, { m: 'PUSH', o: 'Iz', d64: true, compile: pushImm });
  t.one(0x6a, { m: 'PUSH', o: 'Ib', d64: true, compile: pushImm });
  t.one(0x9c, { m: 'PUSHF', o: '', d64: true, compile: pushf });
  t.one(0x9d, { m: 'POPF', o: '', d64: true, compile: popf });
  t.one(0xc9, { m: 'LEAVE', o: '', d64: true, compile: leave });
  t.one(0xc8, { m: 'ENTER', o: 'Iw,Ib', d64: true, compile: enter });
}

