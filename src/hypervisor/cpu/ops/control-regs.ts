/**
 * MOV to and from control registers, and INVLPG (SDM Vol. 2 "MOV—Move to/from
 * Control Registers", "INVLPG"; Vol. 3A §2.5 and §4.10.4 for what each write
 * does to paging and the TLBs). Only CPL 0 may use them.
 */
import { Cr0, Cr4, Efer } from '../cpu.js';
import type { Cpu } from '../cpu.js';
import type { OpcodeTable, RowSpec } from '../decode/table.js';
import { GuestFault, Vector, gp, ud } from '../fault.js';
import type { Exec, Insn } from '../insn.js';
import { InterceptKind } from '../intercept.js';
import { MAXPHYADDR } from '../../mmu/paging-bits.js';
import { TWO32 } from '../regs.js';
import { updateCodeMode } from '../segmentation.js';

/** CR4 bits tsvmi implements; setting any other is #GP(0). */
export const CR4_SUPPORTED = Cr4.TSD | Cr4.DE | Cr4.PSE | Cr4.PAE | Cr4.MCE | Cr4.PGE;
const PHYS_LIMIT = 2 ** MAXPHYADDR;

function readCr(c: Cpu, n: number): number {
  switch (n) {
    case 0: return c.cr0;
    case 2: return c.cr2;
    case 3: return c.cr3;
    case 4: return c.cr4;
    default: return c.intc ? c.intc.cr8 : c.cr8;
  }
}

function writeCr(c: Cpu, n: number, v: number, vhi: number): void {
  switch (n) {
    case 0: {
      // SDM Vol. 2 "MOV—Move to/from Control Registers" (#GP conditions) and Vol. 3A §9.8.5
      // (activating IA-32e mode: PG set with EFER.LME and CR4.PAE sets EFER.LMA).
      if (vhi !== 0) gp(0);
      const lo = v >>> 0;
      if ((lo & Cr0.PG) && !(lo & Cr0.PE)) gp(0);
      if ((lo & Cr0.NW) && !(lo & Cr0.CD)) gp(0);
      const pgOn = (lo & Cr0.PG) !== 0 && (c.cr0 & Cr0.PG) === 0;
      const pgOff = (lo & Cr0.PG) === 0 && (c.cr0 & Cr0.PG) !== 0;
      if (pgOn && (c.efer & Efer.LME)) {
        if (!(c.cr4 & Cr4.PAE) || c.codeBits === 64) gp(0);
        c.efer |= Efer.LMA;
      }
      if (pgOff && (c.efer & Efer.LMA)) {
        if (c.codeBits === 64) gp(0); // paging can only be turned off from compatibility mode
        c.efer &= ~Efer.LMA;
      }
      c.cr0 = (lo | Cr0.ET) >>> 0;
      c.updatePaging();
      updateCodeMode(c);
      c.breakBlock = true;
      return;
    }
    case 2: c.cr2 = vhi * TWO32 + (v >>> 0); return;
    case 3: {
      const value = (vhi >>> 0) * TWO32 + (v >>> 0);
      if (value >= PHYS_LIMIT) gp(0);
      c.cr3 = value;
      c.updatePaging(); // flushes the TLB (global pages too: tsvmi does not keep them across CR3 loads)
      return;
    }
    case 4: {
      if (vhi !== 0 || (v & ~CR4_SUPPORTED)) gp(0);
      if ((c.efer & Efer.LMA) && !(v & Cr4.PAE)) gp(0);
      c.cr4 = v >>> 0;
      c.updatePaging();
      c.breakBlock = true;
      return;
    }
    default:
      if (vhi !== 0 || (v & ~15)) gp(0);
      if (c.intc) c.intc.cr8 = v & 15; else c.cr8 = v & 15;
      c.kick(); // a lower TPR may unmask a pending interrupt
  }
}

/** Valid control registers: CR0, CR2, CR3, CR4, CR8 (REX.R selects 8-15). */
const validCr = (n: number): boolean => n === 0 || n === 2 || n === 3 || n === 4 || n === 8;

function movFromCr(i: Insn): Exec {
  if (!validCr(i.reg)) return () => ud();
  return (c, i) => {
    if (c.cpl !== 0) gp(0);
    const v = readCr(c, i.reg);
    c.lo[i.rm] = v % TWO32 | 0;
    c.hi[i.rm] = Math.floor(v / TWO32) | 0;
  };
}

/**
 * Stop at a write of `value` to CR`index` if it is intercepted: MOV to CR, and CLTS and
 * LMSW, which write CR0 too (SDM Vol. 3C §25.1.3, "CR-access" exits of all three).
 */
export function interceptCrWrite(c: Cpu, i: Insn, index: number, value: number): void {
  if (c.intercepts.crWrites & (1 << index)) c.intercept({ kind: InterceptKind.CR_WRITE, rip: i.addr, length: i.len, cr: { index, value } });
}

function movToCr(i: Insn): Exec {
  if (!validCr(i.reg)) return () => ud();
  return (c, i) => {
    if (c.cpl !== 0) gp(0);
    interceptCrWrite(c, i, i.reg, c.hi[i.rm]! * TWO32 + (c.lo[i.rm]! >>> 0));
    writeCr(c, i.reg, c.lo[i.rm]!, c.hi[i.rm]!);
  };
}

export const INVLPG: RowSpec = {
  m: 'INVLPG', o: 'Mb', memOnly: true,
  compile: () => (c, i) => {
    if (c.cpl !== 0) gp(0);
    c.mmu.tlb.flushPage(i.ea!(c, i));
  },
};

// ---- debug registers (SDM Vol. 3B §17.2) ----------------------------------------------

/**
 * DR4/DR5 alias DR6/DR7 unless CR4.DE makes them #UD (§17.2.2). With DR7.GD set,
 * any access is a #DB fault with DR6.BD, and GD is cleared (§17.2.4).
 */
function debugRegister(c: Cpu, n: number): number {
  if (n > 7) ud();
  if (n === 4 || n === 5) {
    if (c.cr4 & Cr4.DE) ud();
    n += 2;
  }
  if (c.cpl !== 0) gp(0);
  if (c.dr[7]! & DR7_GD) {
    c.pendingDbg = DR6_BD;
    c.dr[7] = (c.dr[7]! & ~DR7_GD) >>> 0;
    throw new GuestFault(Vector.DB);
  }
  return n;
}

const DR7_GD = 1 << 13;
const DR6_BD = 1 << 13;

function movFromDr(): Exec {
  return (c, i) => {
    const v = c.dr[debugRegister(c, i.reg)]!;
    c.lo[i.rm] = v % TWO32 | 0;
    c.hi[i.rm] = Math.floor(v / TWO32) | 0;
  };
}

function movToDr(): Exec {
  return (c, i) => {
    const n = debugRegister(c, i.reg);
    const lo = c.lo[i.rm]!, hi = c.hi[i.rm]!;
    if (n >= 6) {
      // The upper 32 bits are reserved: #GP if set (§17.2.4, §17.2.3).
      if (hi !== 0) gp(0);
      c.dr[n] = n === 6 ? ((lo & 0x0000e00f) | 0xffff0ff0) >>> 0 : ((lo & 0xffff2bff) | 0x400) >>> 0;
      if (n === 7) c.updateWatch();
    } else {
      c.dr[n] = hi * TWO32 + (lo >>> 0);
    }
    c.breakBlock = true;
  };
}

export function register(t: OpcodeTable): void {
  // In 64-bit mode the operand size is always 64 (SDM: "operand size is fixed at 64 bits").
  t.two(0x20, { m: 'MOV', o: 'Rd,Cd', forceReg: true, f64: true, compile: movFromCr });
  t.two(0x22, { m: 'MOV', o: 'Cd,Rd', forceReg: true, f64: true, ends: true, compile: movToCr });
  t.two(0x21, { m: 'MOV', o: 'Rd,Dd', forceReg: true, f64: true, compile: movFromDr });
  t.two(0x23, { m: 'MOV', o: 'Dd,Rd', forceReg: true, f64: true, ends: true, compile: movToDr });
}
