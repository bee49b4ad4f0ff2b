/**
 * Far control transfers and their privilege rules: JMP/CALL/RET far, IRET,
 * INT n, INTO and ICEBP (SDM Vol. 2 "JMP", "CALL", "RET", "IRET/IRETD/IRETQ",
 * "INT n/INTO/INT3/INT1"). Call gates and hardware task switches are not
 * modelled: selectors naming them raise #GP(selector).
 */
import type { Cpu } from '../cpu.js';
import { CANON } from '../decode/ea.js';
import type { OpcodeTable, RowSpec } from '../decode/table.js';
import { Attr, dpl, isCode, readDescriptor } from '../descriptor.js';
import { GuestFault, Vector, gp } from '../fault.js';
import { getOF, readRflags } from '../flags.js';
import { EventType } from '../interrupts.js';
import type { Exec, Insn } from '../insn.js';
import { InterceptKind } from '../intercept.js';
import { readMem } from '../operands.js';
import { Flag, Reg, Seg, TWO32 } from '../regs.js';
import { checkFarCodeSegment, loadCode, loadDataSegment, loadRealModeCode, longModeActive, protectedMode } from '../segmentation.js';
import { pop, push } from '../stack.js';

const ipMask = (size: number): number => (size === 2 ? 0xffff : size === 4 ? 0xffffffff : -1);

/** Jump to sel:offset at the same privilege (the common part of far JMP and CALL). */
function farJump(c: Cpu, sel: number, offset: number): void {
  if (!protectedMode(c)) {
    loadRealModeCode(c, sel);
    c.rip = sel * 16 + (offset & 0xffff);
    return;
  }
  const d = checkFarCodeSegment(c, sel);
  const target = d.attr & Attr.L && longModeActive(c) ? offset : d.base + (offset >>> 0);
  if (target < -CANON || target >= CANON) gp(0);
  loadCode(c, sel, d, c.cpl);
  c.rip = target;
}

/** The m16:16, m16:32 or m16:64 operand of FF /3 and FF /5: offset first, then the selector. */
function farPointer(c: Cpu, i: Insn): [sel: number, offset: number] {
  const a = i.ea!(c, i), size = i.opsize;
  const lo = readMem(c, a, size), hi = size === 8 ? c.vhi : 0;
  const sel = c.mmu.read16(a + size);
  return [sel, size === 8 ? hi * TWO32 + (lo >>> 0) : lo >>> 0 & ipMask(size)];
}

const jmpFar = (): Exec => (c, i) => { const [sel, off] = i.ea ? farPointer(c, i) : [i.imm2, i.imm >>> 0]; farJump(c, sel, off); };

function callFar(i: Insn): Exec {
  const size = i.opsize;
  return (c, i) => {
    const [sel, off] = i.ea ? farPointer(c, i) : [i.imm2, i.imm >>> 0];
    const retCs = c.segSel[Seg.CS]!, retIp = c.rip - c.segBase[Seg.CS]!;
    const saveLo = c.lo[Reg.RSP]!, saveHi = c.hi[Reg.RSP]!;
    try {
      push(c, size, retCs, 0);
      push(c, size, retIp | 0, Math.floor(retIp / TWO32) | 0);
      farJump(c, sel, off);
    } catch (e) {
      c.lo[Reg.RSP] = saveLo; c.hi[Reg.RSP] = saveHi;
      throw e;
    }
  };
}

/** Pop one operand-size item as a full value (64-bit items as a double). */
function popValue(c: Cpu, size: number): number {
  const lo = pop(c, size);
  return size === 8 ? c.vhi * TWO32 + (lo >>> 0) : lo >>> 0;
}

/**
 * Return to CS:RIP (and, to an outer privilege level, SS:RSP) popped by far RET
 * or IRET. `popsStack` is true when SS:RSP follow on the stack.
 */
function returnTo(c: Cpu, sel: number, offset: number, size: number, popsStack: boolean, release = 0): void {
  if (!protectedMode(c)) {
    loadRealModeCode(c, sel);
    c.rip = sel * 16 + (offset & 0xffff);
    return;
  }
  const rpl = sel & 3;
  if ((sel & 0xfffc) === 0 || rpl < c.cpl) throw new GuestFault(Vector.GP, sel & 0xfffc);
  const { d, hi, at } = readDescriptor(c, sel);
  if (!isCode(d.attr)) throw new GuestFault(Vector.GP, sel & 0xfffc);
  const conforming = (d.attr & Attr.CONFORMING_OR_DOWN) !== 0;
  if (conforming ? dpl(d.attr) > rpl : dpl(d.attr) !== rpl) throw new GuestFault(Vector.GP, sel & 0xfffc);
  if (!(d.attr & Attr.P)) throw new GuestFault(Vector.NP, sel & 0xfffc);
  const to64 = longModeActive(c) && (d.attr & Attr.L) !== 0;
  const target = to64 ? offset : d.base + (offset >>> 0) % TWO32;
  if (target < -CANON || target >= CANON) gp(0);
  if (release) c.lo[Reg.RSP] = c.lo[Reg.RSP]! + release;
  let ss = 0, rsp = 0;
  const outer = rpl > c.cpl;
  if (outer || popsStack) {
    rsp = popValue(c, size);
    ss = pop(c, size) & 0xffff;
  }
  loadCode(c, sel, { ...d, hi, at }, rpl);
  if (outer || popsStack) {
    loadDataSegment(c, Seg.SS, ss);
    c.lo[Reg.RSP] = rsp % TWO32 | 0;
    c.hi[Reg.RSP] = size === 8 ? Math.floor(rsp / TWO32) | 0 : 0;
    if (outer) nullOuterDataSegments(c);
  }
  c.rip = target;
}

/** On a return to an outer level, data segments the new CPL may not use become null (SDM "RET", "IRET"). */
function nullOuterDataSegments(c: Cpu): void {
  for (const s of [Seg.ES, Seg.DS, Seg.FS, Seg.GS]) {
    const a = c.segAttr[s]!;
    const conformingCode = isCode(a) && (a & Attr.CONFORMING_OR_DOWN) !== 0;
    if ((c.segSel[s]! & 0xfffc) !== 0 && !conformingCode && dpl(a) < c.cpl) {
      c.segSel[s] = 0;
      c.segAttr[s] = 0;
    }
  }
}

function retFar(i: Insn): Exec {
  const size = i.opsize, release = i.opcode === 0xca ? i.imm & 0xffff : 0;
  return (c) => {
    const saveLo = c.lo[Reg.RSP]!, saveHi = c.hi[Reg.RSP]!;
    try {
      const off = popValue(c, size);
      const sel = pop(c, size) & 0xffff;
      returnTo(c, sel, off, size, false, release);
    } catch (e) {
      c.lo[Reg.RSP] = saveLo; c.hi[Reg.RSP] = saveHi;
      throw e;
    }
  };
}

/**
 * IRET: NMI blocking ends when IRET begins, even if it then faults (SDM Vol.
 * 3A §6.7.1; the seed-004 test plan relies on it). In 64-bit mode SS:RSP are
 * always popped.
 */
function iret(i: Insn): Exec {
  const size = i.opsize;
  return (c, i) => {
    if (c.intercepts.iret) c.intercept({ kind: InterceptKind.IRET, rip: i.addr, length: i.len });
    if (c.nmiBlocked && c.iretUnblocksNmi) {
      c.nmiBlocked = false;
      if (c.nmiPending) c.kick();
    }
    const saveLo = c.lo[Reg.RSP]!, saveHi = c.hi[Reg.RSP]!, oldCpl = c.cpl;
    try {
      const off = popValue(c, size);
      const sel = pop(c, size) & 0xffff;
      const flags = popValue(c, size);
      returnTo(c, sel, off, size, c.codeBits === 64);
      restoreFlags(c, flags, size, oldCpl);
    } catch (e) {
      c.lo[Reg.RSP] = saveLo; c.hi[Reg.RSP] = saveHi;
      throw e;
    }
    c.breakBlock = true;
  };
}

/** IOPL changes only at CPL 0, IF only at CPL <= IOPL (SDM "IRET" operation, "POPF"). */
function restoreFlags(c: Cpu, v: number, size: number, cpl: number): void {
  const iopl = (c.rflags >> 12) & 3;
  let writable = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.TF | Flag.DF | Flag.OF | Flag.NT;
  if (size !== 2) writable |= Flag.RF | Flag.AC | Flag.ID | (cpl === 0 ? Flag.VIF | Flag.VIP : 0);
  if (cpl === 0) writable |= Flag.IOPL;
  if (cpl <= iopl) writable |= Flag.IF;
  c.setRflags((readRflags(c) & ~writable) | (v & writable));
}

const intN = (i: Insn): Exec => {
  const vector = i.imm & 0xff, addr = i.addr;
  return (c) => c.deliver(vector, EventType.SW_INTERRUPT, undefined, addr);
};

const into: Exec = (c) => { if (getOF(c)) throw new GuestFault(Vector.OF, 0, 0, true); };
/** ICEBP (INT1): a trap-like #DB delivered as a privileged software exception. */
const icebp: Exec = () => { throw new GuestFault(Vector.DB, 0, 0, true); };

export const JMP_FAR_EP: RowSpec = { m: 'JMP', o: 'Mp', memOnly: true, ends: true, compile: jmpFar };
export const CALL_FAR_EP: RowSpec = { m: 'CALL', o: 'Mp', memOnly: true, ends: true, compile: callFar };

export function register(t: OpcodeTable): void {
  t.one(0xea, { m: 'JMP', o: 'Ap', i64: true, ends: true, compile: jmpFar });
  t.one(0x9a, { m: 'CALL', o: 'Ap', i64: true, ends: true, compile: callFar });
  t.one(0xcb, { m: 'RET', o: '', ends: true, compile: retFar });
  t.one(0xca, { m: 'RET', o: 'Iw', ends: true, compile: retFar });
  t.one(0xcf, { m: 'IRET', o: '', ends: true, compile: iret });
  t.one(0xcd, { m: 'INT', o: 'Ib', ends: true, compile: intN });
  t.one(0xce, { m: 'INTO', o: '', i64: true, ends: true, compile: () => into });
  t.one(0xf1, { m: 'INT1', o: '', ends: true, compile: () => icebp });
}

