/**
 * String instructions: MOVS, CMPS, STOS, LODS, SCAS and their REP, REPE and
 * REPNE forms (SDM Vol. 2, "MOVS/MOVSB/MOVSW/MOVSD/MOVSQ" ... "REP/REPE/REPZ/
 * REPNE/REPNZ"; Vol. 1 §7.3.9).
 *
 * The source is seg:rSI (DS, or an override; in 64-bit mode only an FS/GS
 * base is added, which the decoder already put in `i.seg`), the destination
 * ES:rDI (base 0 in 64-bit mode, never overridable). The 67 prefix selects
 * ESI/EDI/ECX; their updates then zero-extend into the 64-bit registers, and
 * an ECX of 0 leaves RCX alone (both checked on the host CPU).
 *
 * A REP iteration commits its register updates only after all its memory
 * accesses succeeded, so a fault leaves rSI/rDI/rCX describing the iterations
 * completed so far; the CPU loop puts RIP back on the instruction, which then
 * resumes where it stopped (SDM Vol. 2 "REP": "the registers ... reflect the
 * state of the string operation at the time of the exception").
 *
 * REP MOVS and REP STOS with 64-bit addressing move whole runs of elements at
 * once: as many as fit in the current page on both sides, with typed-array
 * copies on guest RAM. Runs are processed in order and each reproduces the
 * element-by-element result exactly, overlap included, so the split into runs
 * is invisible to the guest.
 */
import { Access, PAGE_MASK, PAGE_SIZE } from '../../mmu/paging-bits.js';
import { AluOp, alu, alu64 } from '../alu.js';
import type { Cpu } from '../cpu.js';
import { CANON } from '../decode/ea.js';
import type { OpcodeTable } from '../decode/table.js';
import { gp } from '../fault.js';
import { getZF } from '../flags.js';
import { SEG_ZERO, type Exec, type Insn } from '../insn.js';
import { InterceptKind } from '../intercept.js';
import { ioBreakpoints } from '../debug.js';
import { readMem, setReg, sizeMask, writeMem } from '../operands.js';
import { Flag, Reg, Seg, TWO32 } from '../regs.js';

const RAX = Reg.RAX, RCX = Reg.RCX, RSI = Reg.RSI, RDI = Reg.RDI;

// ---- registers and addresses at the instruction's address size -------------------

/**
 * Linear address of the string operand addressed by register `r` (RSI or RDI).
 * A non-canonical one is #GP(0), even under an SS override: that is what the
 * host CPU does, and what ea.ts does for explicit overrides.
 */
function linear(c: Cpu, i: Insn, r: number, seg: number): number {
  const as = i.adsize;
  if (as === 8) {
    const a = c.hi[r]! * TWO32 + (c.lo[r]! >>> 0) + c.segBase[seg]!;
    if (a < -CANON || a >= CANON) gp(0);
    return a;
  }
  const a = (as === 4 ? c.lo[r]! >>> 0 : c.lo[r]! & 0xffff) + c.segBase[seg]!;
  if (c.codeBits !== 64) return a % TWO32;
  if (a >= CANON) gp(0);
  return a;
}

const srcLa = (c: Cpu, i: Insn): number => linear(c, i, RSI, i.seg);
const dstLa = (c: Cpu, i: Insn): number => linear(c, i, RDI, i.adsize === 8 || c.codeBits === 64 ? SEG_ZERO : Seg.ES);

/** r += delta at the address size: 64-bit wrap, 32-bit zero-extended, 16-bit merged. */
function advance(c: Cpu, r: number, as: number, delta: number): void {
  const lo = c.lo[r]!;
  if (as === 8) {
    const s = (lo >>> 0) + delta;
    c.lo[r] = s | 0;
    c.hi[r] = (c.hi[r]! + Math.floor(s / TWO32)) | 0;
  } else if (as === 4) {
    c.lo[r] = (lo + delta) | 0;
    c.hi[r] = 0;
  } else {
    c.lo[r] = (lo & ~0xffff) | ((lo + delta) & 0xffff);
  }
}

function countIsZero(c: Cpu, as: number): boolean {
  const lo = c.lo[RCX]!;
  return as === 8 ? (lo | c.hi[RCX]!) === 0 : as === 4 ? lo === 0 : (lo & 0xffff) === 0;
}

/** min(rCX, limit), exact even when RCX does not fit in a double. */
function countUpTo(c: Cpu, as: number, limit: number): number {
  if (as === 8 && c.hi[RCX] !== 0) return limit;
  const n = as === 2 ? c.lo[RCX]! & 0xffff : c.lo[RCX]! >>> 0;
  return n < limit ? n : limit;
}

/** The element stride: DF selects decrementing addresses. */
const stride = (c: Cpu, size: number): number => ((c.rflags & Flag.DF) !== 0 ? -size : size);

// ---- one element of each instruction ----------------------------------------------

/** Performs one iteration, including the rSI/rDI update. */
type Step = (c: Cpu, i: Insn, size: number) => void;

/** CMPS and SCAS set the flags of CMP (first operand minus second). */
function compare(c: Cpu, size: number, a: number, ah: number, b: number, bh: number): void {
  if (size === 8) alu64(c, AluOp.CMP, a, ah, b, bh);
  else alu(c, AluOp.CMP, size * 8, a & sizeMask(size), b);
}

const movsStep: Step = (c, i, size) => {
  const v = readMem(c, srcLa(c, i), size), vh = c.vhi;
  writeMem(c, dstLa(c, i), size, v, vh);
  const d = stride(c, size);
  advance(c, RSI, i.adsize, d);
  advance(c, RDI, i.adsize, d);
};

const cmpsStep: Step = (c, i, size) => {
  const a = readMem(c, srcLa(c, i), size), ah = c.vhi;
  const b = readMem(c, dstLa(c, i), size), bh = c.vhi;
  compare(c, size, a, ah, b, bh);
  const d = stride(c, size);
  advance(c, RSI, i.adsize, d);
  advance(c, RDI, i.adsize, d);
};

const stosStep: Step = (c, i, size) => {
  writeMem(c, dstLa(c, i), size, c.lo[RAX]!, c.hi[RAX]!);
  advance(c, RDI, i.adsize, stride(c, size));
};

const lodsStep: Step = (c, i, size) => {
  const v = readMem(c, srcLa(c, i), size);
  setReg(c, RAX, size, v, c.vhi);
  advance(c, RSI, i.adsize, stride(c, size));
};

const scasStep: Step = (c, i, size) => {
  const b = readMem(c, dstLa(c, i), size), bh = c.vhi;
  compare(c, size, c.lo[RAX]!, c.hi[RAX]!, b, bh);
  advance(c, RDI, i.adsize, stride(c, size));
};

/** INS/OUTS move between port DX and memory; CPL must not exceed IOPL (the TSS I/O bitmap is not modelled). */
function checkIo(c: Cpu): number {
  if (c.cpl > ((c.rflags >> 12) & 3)) gp(0);
  return c.lo[Reg.RDX]! & 0xffff;
}

/** An I/O intercept reports the string instruction once, before its first element. */
function ioIntercept(c: Cpu, i: Insn, size: number, isIn: boolean, port: number): void {
  if (c.intercepts.io) c.intercept({ kind: InterceptKind.IO, rip: i.addr, length: i.len, io: { port, size, in: isIn, string: true, rep: i.rep !== 0 } });
  if (c.dr[7]! & 0xff) c.dataHits |= ioBreakpoints(c, port, size);
}

const insStep: Step = (c, i, size) => {
  const port = checkIo(c);
  ioIntercept(c, i, size, true, port);
  const la = dstLa(c, i);
  writeMem(c, la, size, c.io.portIn(port, size), 0);
  advance(c, RDI, i.adsize, stride(c, size));
};

const outsStep: Step = (c, i, size) => {
  const port = checkIo(c);
  ioIntercept(c, i, size, false, port);
  c.io.portOut(port, size, readMem(c, srcLa(c, i), size));
  advance(c, RSI, i.adsize, stride(c, size));
};

// ---- runs of elements within a page (REP MOVS/STOS, 64-bit addressing) -----------------

/** Whole elements from `la` to the edge of its page in the direction of travel (0 if the first straddles it). */
function elementsInPage(la: number, size: number, down: boolean): number {
  const off = la & PAGE_MASK;
  if (!down) return Math.floor((PAGE_SIZE - off) / size);
  return off + size > PAGE_SIZE ? 0 : Math.floor(off / size) + 1;
}

/** The guest-physical address of `la`, checked for the access (or #PF); -1 if it is not RAM (MMIO goes element by element). */
function ramAddress(c: Cpu, la: number, access: Access): number {
  const pa = c.mmu.pa(la, access);
  return c.mem.isRam(pa) ? pa : -1;
}

/**
 * Moves up to a page of MOVS elements; returns how many (0: let the next
 * element take the careful path). Both sides are checked before any byte
 * moves, the source first: its read comes first, so its #PF wins over a
 * destination #PF or #GP (as on the host CPU).
 */
function movsRun(c: Cpu, i: Insn, size: number): number {
  const down = (c.rflags & Flag.DF) !== 0;
  const src = srcLa(c, i);
  let n = Math.min(countUpTo(c, 8, PAGE_SIZE), elementsInPage(src, size, down));
  if (n === 0) return 0;
  const spa = ramAddress(c, src, Access.READ);
  if (spa < 0) return 0;
  const dst = dstLa(c, i);
  n = Math.min(n, elementsInPage(dst, size, down));
  if (n === 0) return 0;
  const dpa = ramAddress(c, dst, Access.WRITE);
  if (dpa < 0) return 0;
  const len = n * size, back = down ? len - size : 0;
  const s = spa - back, d = dpa - back, gap = d - s;
  const bytes = c.mem.bytes;
  c.mem.noteWrite(d, len);
  if (gap === 0 || gap >= len || gap <= -len || (gap < 0) !== down) {
    // Disjoint, or each element is read before anything overwrites it: exactly memmove.
    bytes.copyWithin(d, s, s + len);
  } else if (!down && gap >= size) {
    // Ascending into a destination `gap` bytes ahead: every byte re-reads one stored
    // `gap` bytes earlier, so the destination repeats the first `gap` source bytes.
    bytes.copyWithin(d, s, s + gap);
    for (let done = gap; done < len; done *= 2) bytes.copyWithin(d + done, d, d + Math.min(done, len - done));
  } else {
    // Overlap closer than an element, or descending into its own path: element by element.
    const step = down ? -size : size;
    for (let k = 0, so = spa, dof = dpa; k < n; k++, so += step, dof += step) bytes.copyWithin(dof, so, so + size);
  }
  const delta = down ? -len : len;
  advance(c, RSI, 8, delta);
  advance(c, RDI, 8, delta);
  advance(c, RCX, 8, -n);
  return n;
}

/** Stores up to a page of STOS elements; returns how many. */
function stosRun(c: Cpu, i: Insn, size: number): number {
  const down = (c.rflags & Flag.DF) !== 0;
  const dst = dstLa(c, i);
  const n = Math.min(countUpTo(c, 8, PAGE_SIZE), elementsInPage(dst, size, down));
  if (n === 0) return 0;
  const dpa = ramAddress(c, dst, Access.WRITE);
  if (dpa < 0) return 0;
  const len = n * size, d = dpa - (down ? len - size : 0);
  const { bytes, view } = c.mem;
  c.mem.noteWrite(d, len);
  if (size === 1) {
    bytes.fill(c.lo[RAX]!, d, d + len);
  } else {
    // One element, then doubling copies of the pattern.
    if (size === 2) view.setUint16(d, c.lo[RAX]!, true);
    else view.setInt32(d, c.lo[RAX]!, true);
    if (size === 8) view.setInt32(d + 4, c.hi[RAX]!, true);
    for (let done = size; done < len; done *= 2) bytes.copyWithin(d + done, d, d + Math.min(done, len - done));
  }
  advance(c, RDI, 8, down ? -len : len);
  advance(c, RCX, 8, -n);
  return n;
}

/** Moves a run of elements and updates the registers, or returns 0. */
type Run = (c: Cpu, i: Insn, size: number) => number;

// ---- the REP loops (SDM Vol. 2 "REP" operation) -----------------------------------------------

/**
 * REP: F3, and also F2, which hardware treats alike for MOVS, STOS and LODS.
 * Under single-stepping or breakpoints (`c.stringIteration`) each iteration is
 * an instruction boundary: one iteration runs and, while the count is not
 * exhausted, RIP stays on the instruction (SDM Vol. 3A §17.3.1.4).
 */
function repeat(step: Step, run: Run | null, size: number): Exec {
  return (c, i) => {
    const as = i.adsize;
    while (!countIsZero(c, as)) {
      if (c.stringIteration) return oneIteration(c, i, () => step(c, i, size));
      if (run !== null && run(c, i, size) !== 0) continue;
      step(c, i, size);
      advance(c, RCX, as, -1);
    }
  };
}

/** REPE (F3) repeats while ZF = 1, REPNE (F2) while ZF = 0; the count is tested first. */
function repeatWhile(step: Step, size: number, zf: number): Exec {
  return (c, i) => {
    const as = i.adsize;
    while (!countIsZero(c, as)) {
      if (c.stringIteration) return oneIteration(c, i, () => step(c, i, size), zf);
      step(c, i, size);
      advance(c, RCX, as, -1);
      if (getZF(c) !== zf) return;
    }
  };
}

function oneIteration(c: Cpu, i: Insn, step: () => void, zf?: number): void {
  step();
  advance(c, RCX, i.adsize, -1);
  const more = !countIsZero(c, i.adsize) && (zf === undefined || getZF(c) === zf);
  if (more) c.rip = i.addr;
}

function compile(step: Step, run: Run | null, conditional: boolean, io = false): (i: Insn) => Exec {
  return (i) => {
    // Port I/O moves bytes, words or dwords: there is no 64-bit INS/OUTS.
    const size = io ? (i.opcode & 1 ? (i.opsize === 2 ? 2 : 4) : 1) : i.opsize;
    if (i.rep === 0) return (c, i) => step(c, i, size);
    if (conditional) return repeatWhile(step, size, i.rep === 0xf3 ? 1 : 0);
    return repeat(step, i.adsize === 8 ? run : null, size);
  };
}

export function register(t: OpcodeTable): void {
  const movs = compile(movsStep, movsRun, false), cmps = compile(cmpsStep, null, true);
  const stos = compile(stosStep, stosRun, false), lods = compile(lodsStep, null, false);
  const scas = compile(scasStep, null, true);
  t.one(0xa4, { m: 'MOVS', o: 'Yb,Xb', compile: movs });
  t.one(0xa5, { m: 'MOVS', o: 'Yv,Xv', compile: movs });
  t.one(0xa6, { m: 'CMPS', o: 'Xb,Yb', compile: cmps });
  t.one(0xa7, { m: 'CMPS', o: 'Xv,Yv', compile: cmps });
  t.one(0xaa, { m: 'STOS', o: 'Yb,AL', compile: stos });
  t.one(0xab, { m: 'STOS', o: 'Yv,rAX', compile: stos });
  t.one(0xac, { m: 'LODS', o: 'AL,Xb', compile: lods });
  t.one(0xad, { m: 'LODS', o: 'rAX,Xv', compile: lods });
  t.one(0xae, { m: 'SCAS', o: 'AL,Yb', compile: scas });
  t.one(0xaf, { m: 'SCAS', o: 'rAX,Yv', compile: scas });
  const ins = compile(insStep, null, false, true), outs = compile(outsStep, null, false, true);
  t.one(0x6c, { m: 'INS', o: 'Yb,DX', compile: ins });
  t.one(0x6d, { m: 'INS', o: 'Yz,DX', compile: ins });
  t.one(0x6e, { m: 'OUTS', o: 'DX,Xb', compile: outs });
  t.one(0x6f, { m: 'OUTS', o: 'DX,Xz', compile: outs });
}
