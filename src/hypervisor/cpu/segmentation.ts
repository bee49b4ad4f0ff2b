/**
 * Loading segment registers (SDM Vol. 3A §3.4.3, §5.5-§5.8; Vol. 2 "MOV—Move",
 * "POP", "JMP", "CALL" operation sections), and the mode the code segment
 * selects: real, 16/32-bit protected, compatibility or 64-bit.
 */
import type { Cpu } from './cpu.js';
import { Cr0, Efer } from './cpu.js';
import { Attr, dpl, isCode, isData, markAccessed, readDescriptor, type Descriptor } from './descriptor.js';
import { GuestFault, Vector } from './fault.js';
import { Seg } from './regs.js';

export const protectedMode = (c: Cpu): boolean => (c.cr0 & Cr0.PE) !== 0;
export const longModeActive = (c: Cpu): boolean => (c.efer & Efer.LMA) !== 0;

const selErr = (sel: number): number => sel & 0xfffc;

/** Install a descriptor in a segment register's cache. */
export function setSegment(c: Cpu, seg: number, sel: number, d: Descriptor): void {
  c.segSel[seg] = sel;
  c.segBase[seg] = d.base;
  c.segLimit[seg] = d.limit;
  c.segAttr[seg] = d.attr;
  if (seg === Seg.CS) updateCodeMode(c);
  else if (seg === Seg.SS) updateStackMode(c);
}

/** Real mode and virtual-8086 loads: base = selector * 16, other attributes unchanged (SDM Vol. 3A §20.1.1). */
function setRealModeSegment(c: Cpu, seg: number, sel: number): void {
  c.segSel[seg] = sel;
  c.segBase[seg] = sel * 16;
  if (seg === Seg.CS) updateCodeMode(c);
}

/** CS.L with EFER.LMA is 64-bit mode; otherwise CS.D picks 32 or 16 bits (SDM Vol. 3A §5.2.1). */
export function updateCodeMode(c: Cpu): void {
  const a = c.segAttr[Seg.CS]!;
  let bits: number;
  if (!protectedMode(c)) bits = 16;
  else if (longModeActive(c) && (a & Attr.L)) bits = 64;
  else bits = a & Attr.DB ? 32 : 16;
  c.setCodeBits(bits);
  updateStackMode(c);
}

export function updateStackMode(c: Cpu): void {
  if (c.codeBits === 64) c.stackBits = 64;
  else c.stackBits = protectedMode(c) && (c.segAttr[Seg.SS]! & Attr.DB) ? 32 : 16;
}

/**
 * MOV/POP to DS, ES, FS, GS or SS: the protected-mode checks of SDM Vol. 2
 * "MOV" (Operation), with #GP(selector), #NP(selector) or #SS(selector).
 */
export function loadDataSegment(c: Cpu, seg: number, sel: number): void {
  if (!protectedMode(c)) return setRealModeSegment(c, seg, sel);
  const stack = seg === Seg.SS;
  if (selErr(sel) === 0) {
    // A null SS is only allowed in 64-bit mode below CPL 3, with RPL = CPL.
    if (stack && (c.codeBits !== 64 || c.cpl === 3 || (sel & 3) !== c.cpl)) throw new GuestFault(Vector.GP, 0);
    c.segSel[seg] = sel;
    c.segAttr[seg] = 0;
    if (seg !== Seg.FS && seg !== Seg.GS) c.segBase[seg] = 0;
    if (stack) updateStackMode(c);
    return;
  }
  const { d, hi, at } = readDescriptor(c, sel);
  const rpl = sel & 3;
  if (stack) {
    if (rpl !== c.cpl || !isData(d.attr) || !(d.attr & Attr.RW) || dpl(d.attr) !== c.cpl) throw new GuestFault(Vector.GP, selErr(sel));
    if (!(d.attr & Attr.P)) throw new GuestFault(Vector.SS, selErr(sel));
  } else {
    const readableCode = isCode(d.attr) && (d.attr & Attr.RW) !== 0;
    if (!isData(d.attr) && !readableCode) throw new GuestFault(Vector.GP, selErr(sel));
    const conformingCode = readableCode && (d.attr & Attr.CONFORMING_OR_DOWN) !== 0;
    if (!conformingCode && (rpl > dpl(d.attr) || c.cpl > dpl(d.attr))) throw new GuestFault(Vector.GP, selErr(sel));
    if (!(d.attr & Attr.P)) throw new GuestFault(Vector.NP, selErr(sel));
  }
  markAccessed(c, at, hi);
  setSegment(c, seg, sel, { ...d, attr: d.attr | Attr.ACCESSED });
}

/**
 * A far JMP/CALL target's code segment at the same privilege (SDM Vol. 2 "JMP",
 * protected-mode far jump to a code segment). Call gates and task switches are
 * not modelled: they raise #GP(selector).
 */
export function checkFarCodeSegment(c: Cpu, sel: number): Descriptor & { hi: number; at: number } {
  if (selErr(sel) === 0) throw new GuestFault(Vector.GP, 0);
  const { d, hi, at } = readDescriptor(c, sel);
  if (!isCode(d.attr)) throw new GuestFault(Vector.GP, selErr(sel));
  const conforming = (d.attr & Attr.CONFORMING_OR_DOWN) !== 0;
  if (conforming ? dpl(d.attr) > c.cpl : (sel & 3) > c.cpl || dpl(d.attr) !== c.cpl) throw new GuestFault(Vector.GP, selErr(sel));
  if (!(d.attr & Attr.P)) throw new GuestFault(Vector.NP, selErr(sel));
  if (longModeActive(c) && (d.attr & Attr.L) && (d.attr & Attr.DB)) throw new GuestFault(Vector.GP, selErr(sel));
  return { ...d, hi, at };
}

/** Load CS after the checks, at privilege `cpl` (RPL is forced to it). */
export function loadCode(c: Cpu, sel: number, d: Descriptor & { hi: number; at: number }, cpl: number): void {
  markAccessed(c, d.at, d.hi);
  c.setCpl(cpl);
  setSegment(c, Seg.CS, (sel & 0xfffc) | cpl, { base: d.base, limit: d.limit, attr: d.attr | Attr.ACCESSED });
}

/** Far transfer in real mode: CS = sel, base = sel * 16. */
export function loadRealModeCode(c: Cpu, sel: number): void {
  setRealModeSegment(c, Seg.CS, sel);
}
