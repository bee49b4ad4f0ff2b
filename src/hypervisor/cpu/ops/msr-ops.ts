/**
 * RDMSR/WRMSR, SYSCALL/SYSRET and SWAPGS (SDM Vol. 2, each by name; Vol. 3A
 * §5.8.8 for the fast system calls).
 */
import { Efer } from '../cpu.js';
import type { OpcodeTable, RowSpec } from '../decode/table.js';
import { CANON } from '../decode/ea.js';
import { gp, ud } from '../fault.js';
import { readRflags } from '../flags.js';
import type { Exec, Insn } from '../insn.js';
import { InterceptKind } from '../intercept.js';
import { readMsr, writeMsr } from '../msr.js';
import { Flag, Reg, Seg, TWO32 } from '../regs.js';
import { setSegment } from '../segmentation.js';

const rdmsr: Exec = (c) => {
  if (c.cpl !== 0) gp(0);
  const [lo, hi] = readMsr(c, c.lo[Reg.RCX]!);
  c.lo[Reg.RAX] = lo; c.hi[Reg.RAX] = 0;
  c.lo[Reg.RDX] = hi; c.hi[Reg.RDX] = 0;
};

const wrmsr: Exec = (c, i) => {
  if (c.cpl !== 0) gp(0);
  if (c.intercepts.msrWrites) c.intercept({ kind: InterceptKind.MSR_WRITE, rip: i.addr, length: i.len, msr: { index: c.lo[Reg.RCX]! >>> 0, lo: c.lo[Reg.RAX]!, hi: c.lo[Reg.RDX]! } });
  writeMsr(c, c.lo[Reg.RCX]!, c.lo[Reg.RAX]!, c.lo[Reg.RDX]!);
  c.breakBlock = true; // EFER and the bases change how the next instructions run
};

/** Flat segments SYSCALL/SYSRET load: fixed attributes, not read from the GDT (SDM Vol. 2 "SYSCALL"). */
const CODE64 = { base: 0, limit: 0xffffffff, attr: 0xa09b };
const CODE32 = { base: 0, limit: 0xffffffff, attr: 0xc09b };
const DATA = { base: 0, limit: 0xffffffff, attr: 0xc093 };

/** SYSCALL: RCX = return RIP, R11 = RFLAGS, CS/SS from STAR[47:32], RFLAGS &= ~FMASK, jump to LSTAR. */
const syscall: Exec = (c) => {
  if (!(c.efer & Efer.LMA) || !(c.efer & Efer.SCE)) ud();
  const ret = c.rip;
  c.lo[Reg.RCX] = ret | 0; c.hi[Reg.RCX] = Math.floor(ret / TWO32) | 0;
  c.lo[Reg.R11] = readRflags(c) & ~Flag.RF; c.hi[Reg.R11] = 0;
  const sel = c.starHi & 0xfffc;
  const compat = c.codeBits !== 64;
  c.setCpl(0);
  setSegment(c, Seg.CS, sel, CODE64);
  setSegment(c, Seg.SS, sel + 8, DATA);
  c.setRflags(readRflags(c) & ~c.fmask & ~Flag.RF);
  c.rip = compat ? c.cstar : c.lstar;
  c.breakBlock = true;
};

/**
 * SYSRET: back to CPL 3 at RCX with RFLAGS = R11. With REX.W the target is
 * 64-bit code at STAR[63:48]+16; without, 32-bit code at STAR[63:48]. Intel
 * raises #GP(0) at CPL 0 for a non-canonical RCX; AMD returns and lets the
 * fetch fault at CPL 3 (SDM Vol. 2 "SYSRET"; APM Vol. 3 "SYSRET").
 */
function sysret(i: Insn): Exec {
  const to64 = i.opsize === 8;
  return (c) => {
    if (!(c.efer & Efer.LMA) || !(c.efer & Efer.SCE)) ud();
    if (c.cpl !== 0) gp(0);
    const target = to64 ? c.hi[Reg.RCX]! * TWO32 + (c.lo[Reg.RCX]! >>> 0) : c.lo[Reg.RCX]! >>> 0;
    if (to64 && (target < -CANON || target >= CANON) && c.vendor === 'intel') gp(0);
    const base = c.starHi >>> 16;
    const tfBefore = (c.rflags & Flag.TF) !== 0;
    c.setRflags((c.lo[Reg.R11]! & ~(Flag.RF | Flag.VM)) | 2);
    // A TF that SYSRET loads from R11 traps right after SYSRET, at RCX, as hardware does (the SDM
    // says nothing explicit; Linux avoids SYSRET with TF set for this reason, commit 7ea24169097d).
    if (!tfBefore && (c.rflags & Flag.TF) !== 0) c.stepTrapPending = true;
    c.setCpl(3);
    setSegment(c, Seg.CS, ((to64 ? base + 16 : base) & 0xfffc) | 3, to64 ? { ...CODE64, attr: CODE64.attr | 0x60 } : { ...CODE32, attr: CODE32.attr | 0x60 });
    setSegment(c, Seg.SS, ((base + 8) & 0xfffc) | 3, { ...DATA, attr: DATA.attr | 0x60 });
    c.rip = target;
    c.breakBlock = true;
  };
}

const swapgs: Exec = (c) => {
  if (c.codeBits !== 64) ud();
  if (c.cpl !== 0) gp(0);
  const gs = c.segBase[Seg.GS]!;
  c.segBase[Seg.GS] = c.kernelGsBase;
  c.kernelGsBase = gs;
};

export const SWAPGS: RowSpec = { m: 'SWAPGS', o: '', compile: () => swapgs };

export function register(t: OpcodeTable): void {
  t.two(0x32, { m: 'RDMSR', o: '', compile: () => rdmsr });
  t.two(0x30, { m: 'WRMSR', o: '', ends: true, compile: () => wrmsr });
  t.two(0x05, { m: 'SYSCALL', o: '', ends: true, compile: () => syscall });
  t.two(0x07, { m: 'SYSRET', o: '', ends: true, compile: sysret });
}

