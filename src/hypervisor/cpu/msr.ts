/**
 * Model-specific registers the core implements (SDM Vol. 4, table 2-2 and the
 * "IA-32e mode" MSRs). The platform claims the rest it owns (APIC_BASE and the
 * x2APIC range) through `cpu.platformMsr`; an MSR nobody claims is #GP(0).
 */
import type { Cpu } from './cpu.js';
import { CANON } from './decode/ea.js';
import { gp } from './fault.js';
import { Cr0, Efer, Seg, TWO32 } from './regs.js';
import { updateCodeMode } from './segmentation.js';

export const Msr = {
  TSC: 0x10, APIC_BASE: 0x1b, PAT: 0x277, MISC_ENABLE: 0x1a0,
  EFER: 0xc0000080, STAR: 0xc0000081, LSTAR: 0xc0000082, CSTAR: 0xc0000083, FMASK: 0xc0000084,
  FS_BASE: 0xc0000100, GS_BASE: 0xc0000101, KERNEL_GS_BASE: 0xc0000102, TSC_AUX: 0xc0000103,
} as const;

const split = (v: number): [number, number] => [v % TWO32 | 0, Math.floor(v / TWO32) | 0];
const join = (lo: number, hi: number): number => (hi | 0) * TWO32 + (lo >>> 0);

/** Writable EFER bits: SCE, LME, NXE (LMA is the processor's; SDM Vol. 3A §2.2.1). */
export const EFER_WRITABLE = Efer.SCE | Efer.LME | Efer.NXE;

/** Values read back as written, with no effect on the emulation (PAT, MISC_ENABLE). */
export type PlainMsrs = Map<number, [number, number]>;

export function readMsr(c: Cpu, msr: number): [number, number] {
  switch (msr >>> 0) {
    case Msr.TSC: return split(c.time() + c.tscOffset);
    case Msr.EFER: return [c.efer, 0];
    case Msr.STAR: return [c.starLo, c.starHi];
    case Msr.LSTAR: return split(c.lstar);
    case Msr.CSTAR: return split(c.cstar);
    case Msr.FMASK: return [c.fmask, 0];
    case Msr.FS_BASE: return split(c.segBase[Seg.FS]!);
    case Msr.GS_BASE: return split(c.segBase[Seg.GS]!);
    case Msr.KERNEL_GS_BASE: return split(c.kernelGsBase);
    case Msr.TSC_AUX: return [c.tscAux, 0];
  }
  const plain = c.plainMsrs.get(msr >>> 0);
  if (plain) return [plain[0], plain[1]];
  const v = c.platformMsr?.read(msr >>> 0);
  if (v === undefined) gp(0);
  return v;
}

function canonical(lo: number, hi: number): number {
  const v = join(lo, hi);
  if (v < -CANON || v >= CANON) gp(0);
  return v;
}

export function writeMsr(c: Cpu, msr: number, lo: number, hi: number): void {
  switch (msr >>> 0) {
    case Msr.TSC: c.tscOffset = join(lo, hi) - c.time(); return;
    case Msr.EFER: {
      if (hi !== 0 || (lo & ~(EFER_WRITABLE | Efer.LMA))) gp(0);
      // LME may not change while paging is on (SDM Vol. 3A §9.8.5).
      if ((c.cr0 & Cr0.PG) && ((lo ^ c.efer) & Efer.LME)) gp(0);
      c.efer = (lo & EFER_WRITABLE) | (c.efer & Efer.LMA);
      c.updatePaging();
      updateCodeMode(c);
      return;
    }
    case Msr.STAR: c.starLo = lo; c.starHi = hi; return;
    case Msr.LSTAR: c.lstar = canonical(lo, hi); return;
    case Msr.CSTAR: c.cstar = canonical(lo, hi); return;
    case Msr.FMASK: c.fmask = lo >>> 0; return;
    case Msr.FS_BASE: c.segBase[Seg.FS] = canonical(lo, hi); return;
    case Msr.GS_BASE: c.segBase[Seg.GS] = canonical(lo, hi); return;
    case Msr.KERNEL_GS_BASE: c.kernelGsBase = canonical(lo, hi); return;
    case Msr.TSC_AUX: if (hi !== 0) gp(0); c.tscAux = lo >>> 0; return;
    case Msr.PAT: case Msr.MISC_ENABLE: c.plainMsrs.set(msr >>> 0, [lo, hi]); return;
  }
  if (!c.platformMsr?.write(msr >>> 0, lo, hi)) gp(0);
}
