/**
 * System-table and machine-status instructions: group 6 (SLDT STR LLDT LTR)
 * and group 7 (SGDT SIDT LGDT LIDT SMSW LMSW INVLPG, and the register forms
 * SWAPGS and RDTSCP), plus CLTS, INVD and WBINVD (SDM Vol. 2, each by name).
 */
import type { Cpu } from '../cpu.js';
import { Cr0 } from '../cpu.js';
import type { OpcodeTable, RowSpec } from '../decode/table.js';
import { byRegField, group } from '../decode/table.js';
import { Attr, SysType, base64, readDescriptor, readSystemBaseHigh } from '../descriptor.js';
import { GuestFault, Vector, gp } from '../fault.js';
import { readRflags, setStatusFlags } from '../flags.js';
import type { Exec, Insn } from '../insn.js';
import { InterceptKind } from '../intercept.js';
import { prepareRm, putE, setReg } from '../operands.js';
import { Flag, TWO32 } from '../regs.js';
import { longModeActive, protectedMode } from '../segmentation.js';
import { INVLPG, interceptCrWrite } from './control-regs.js';
import { SWAPGS } from './msr-ops.js';
import { RDTSCP } from './system.js';

const needCpl0 = (c: Cpu): void => { if (c.cpl !== 0) gp(0); };

/** LGDT/LIDT: a 16-bit limit, then a 24-, 32- or 64-bit base (SDM Vol. 2 "LGDT/LIDT"). */
function loadTable(idt: boolean): Exec {
  return (c, i) => {
    needCpl0(c);
    const a = i.ea!(c, i);
    const limit = c.mmu.read16(a);
    let base: number;
    if (c.codeBits === 64) { const lo = c.mmu.read32(a + 2); base = c.mmu.read32(a + 6) * TWO32 + (lo >>> 0); }
    else base = (c.mmu.read32(a + 2) & (i.opsize === 2 ? 0xffffff : -1)) >>> 0;
    if (idt) { c.idtBase = base; c.idtLimit = limit; } else { c.gdtBase = base; c.gdtLimit = limit; }
  };
}

function storeTable(idt: boolean): Exec {
  return (c, i) => {
    const a = i.ea!(c, i);
    const base = idt ? c.idtBase : c.gdtBase, limit = idt ? c.idtLimit : c.gdtLimit;
    c.mmu.write16(a, limit);
    if (c.codeBits === 64) c.mmu.write64(a + 2, base % TWO32 | 0, Math.floor(base / TWO32) | 0);
    else c.mmu.write32(a + 2, base | 0);
  };
}

/** SLDT/STR/SMSW store 16 bits to memory, or zero-extend into a register of the operand size. */
function storeWord(read: (c: Cpu) => number): (i: Insn) => Exec {
  return (i) => {
    const size = i.ea !== null ? 2 : i.opsize;
    prepareRm(i, size);
    const put = putE(i, size);
    return (c, i) => put(c, i, read(c), 0);
  };
}

const selOf = (c: Cpu, i: Insn): number => (i.ea !== null ? c.mmu.read16(i.ea(c, i)) : c.lo[i.rm]! & 0xffff);

/** LLDT: a null selector leaves the LDT unusable; otherwise an LDT descriptor from the GDT. */
const lldt = (): Exec => (c, i) => {
  if (!protectedMode(c)) throw new GuestFault(Vector.UD);
  needCpl0(c);
  const sel = selOf(c, i);
  if ((sel & 0xfffc) === 0) { c.ldtSel = 0; c.ldtBase = 0; c.ldtLimit = 0; return; }
  if (sel & 4) throw new GuestFault(Vector.GP, sel & 0xfffc);
  const { d, at } = readDescriptor(c, sel);
  if ((d.attr & (Attr.S | Attr.TYPE)) !== SysType.LDT) throw new GuestFault(Vector.GP, sel & 0xfffc);
  if (!(d.attr & Attr.P)) throw new GuestFault(Vector.NP, sel & 0xfffc);
  c.ldtSel = sel;
  c.ldtBase = longModeActive(c) ? base64(d.base, readSystemBaseHigh(c, at)) : d.base;
  c.ldtLimit = d.limit;
};

/** LTR: an available TSS from the GDT, which becomes busy (SDM Vol. 2 "LTR"). */
const ltr = (): Exec => (c, i) => {
  if (!protectedMode(c)) throw new GuestFault(Vector.UD);
  needCpl0(c);
  const sel = selOf(c, i);
  if ((sel & 0xfffc) === 0 || (sel & 4)) throw new GuestFault(Vector.GP, sel & 0xfffc);
  const { d, hi, at } = readDescriptor(c, sel);
  const type = d.attr & (Attr.S | Attr.TYPE);
  if (type !== SysType.TSS_AVAIL && (longModeActive(c) || type !== SysType.TSS16_AVAIL)) throw new GuestFault(Vector.GP, sel & 0xfffc);
  if (!(d.attr & Attr.P)) throw new GuestFault(Vector.NP, sel & 0xfffc);
  const base = longModeActive(c) ? base64(d.base, readSystemBaseHigh(c, at)) : d.base;
  markBusy(c, at, hi);
  c.trSel = sel; c.trBase = base; c.trLimit = d.limit; c.trAttr = d.attr | 2;
};

/** The busy bit is type bit 1 (available 9 → busy 11). */
function markBusy(c: Cpu, at: number, hi: number): void {
  c.mmu.writeSupervisor32(at + 4, hi | 0x200);
}

/** LMSW sets PE, MP, EM, TS; it can set PE but not clear it (SDM Vol. 2 "LMSW"). */
const lmsw = (): Exec => (c, i) => {
  needCpl0(c);
  const v = ((c.cr0 & ~0xe) | (selOf(c, i) & 0xf) | (c.cr0 & Cr0.PE)) >>> 0;
  interceptCrWrite(c, i, 0, v);
  c.cr0 = v;
};

// ---- LAR, LSL, VERR, VERW: probing descriptors without loading them -------------------

/** The descriptor of `sel` if software at the current CPL may look at it, else undefined (ZF = 0). */
function probe(c: Cpu, sel: number, accept: (type: number, s: boolean) => boolean): ReturnType<typeof readDescriptor> | undefined {
  if ((sel & 0xfffc) === 0) return undefined;
  let r: ReturnType<typeof readDescriptor>;
  try {
    r = readDescriptor(c, sel);
  } catch (e) {
    if (e instanceof GuestFault && e.vector === Vector.GP) return undefined; // outside the table: ZF = 0, no fault
    throw e;
  }
  const a = r.d.attr, s = (a & Attr.S) !== 0, type = a & Attr.TYPE;
  if (!accept(type, s)) return undefined;
  const conformingCode = s && (type & 0xc) === 0xc;
  if (!conformingCode && ((a >> 5) & 3) < Math.max(c.cpl, sel & 3)) return undefined;
  return r;
}

function setZF(c: Cpu, on: boolean): void {
  setStatusFlags(c, (readRflags(c) & ~Flag.ZF) | (on ? Flag.ZF : 0));
}

/** System types LAR accepts (SDM Vol. 2 "LAR", table 3-1): TSSs, LDT, call and task gates; in long mode only the 64-bit ones. */
const LAR_SYSTEM_LEGACY = new Set([1, 2, 3, 4, 5, 9, 11, 12]);
const LAR_SYSTEM_LONG = new Set([2, 9, 11, 12]);
const LSL_SYSTEM_LEGACY = new Set([1, 2, 3, 9, 11]);
const LSL_SYSTEM_LONG = new Set([2, 9, 11]);

function larLsl(lsl: boolean): (i: Insn) => Exec {
  return (i) => {
    const size = i.opsize;
    prepareRm(i, 2);
    return (c, i) => {
      const sel = selOf(c, i);
      const sys = longModeActive(c) ? (lsl ? LSL_SYSTEM_LONG : LAR_SYSTEM_LONG) : (lsl ? LSL_SYSTEM_LEGACY : LAR_SYSTEM_LEGACY);
      const r = probe(c, sel, (type, s) => s || sys.has(type));
      if (r === undefined) return setZF(c, false);
      const v = lsl ? r.d.limit : r.hi & 0x00f0ff00;
      setReg(c, i.reg, size === 8 ? 4 : size, v | 0, 0);
      setZF(c, true);
    };
  };
}

/** VERR/VERW: is the segment readable (writable) at the current privilege? */
const verify = (write: boolean) => (): Exec => (c, i) => {
  const ok = probe(c, selOf(c, i), (type, s) => s && (write ? (type & 0xa) === 0x2 : (type & 0xa) !== 0x8));
  setZF(c, ok !== undefined);
};

const clts: Exec = (c, i) => {
  needCpl0(c);
  const v = (c.cr0 & ~Cr0.TS) >>> 0;
  interceptCrWrite(c, i, 0, v);
  c.cr0 = v;
};

/**
 * Descriptor-table instructions can be intercepted (VMX "descriptor-table
 * exiting", SVM's GDTR/IDTR/LDTR/TR read and write intercepts): checked
 * after the privilege check, before the instruction has any effect.
 */
const interceptable = (row: RowSpec): RowSpec => ({
  ...row,
  compile: (i) => {
    const exec = row.compile(i);
    return (c, i) => {
      if (c.intercepts.descriptor && (c.cpl === 0 || row.m.startsWith('S'))) {
        c.intercept({ kind: InterceptKind.DESCRIPTOR, rip: i.addr, length: i.len, descriptor: { instruction: row.m } });
      }
      exec(c, i);
    };
  },
});

/** VMCALL/VMMCALL: the guest's hypercall. Outside a hypervisor that intercepts it, #UD. */
const vmcall: Exec = (c, i) => {
  if (!c.intercepts.vmcall) throw new GuestFault(Vector.UD);
  c.intercept({ kind: InterceptKind.VMCALL, rip: i.addr, length: i.len });
};
const cacheFlush: Exec = (c) => needCpl0(c);

export function register(t: OpcodeTable): void {
  t.two(0x00, group([
    interceptable({ m: 'SLDT', o: 'Ew', compile: storeWord((c) => c.ldtSel) }),
    interceptable({ m: 'STR', o: 'Ew', compile: storeWord((c) => c.trSel) }),
    interceptable({ m: 'LLDT', o: 'Ew', compile: lldt }),
    interceptable({ m: 'LTR', o: 'Ew', compile: ltr }),
    { m: 'VERR', o: 'Ew', compile: verify(false) },
    { m: 'VERW', o: 'Ew', compile: verify(true) },
  ]));
  t.two(0x02, { m: 'LAR', o: 'Gv,Ew', compile: larLsl(false) });
  t.two(0x03, { m: 'LSL', o: 'Gv,Ew', compile: larLsl(true) });
  const g7: (RowSpec | undefined)[] = [
    interceptable({ m: 'SGDT', o: 'Ms', memOnly: true, compile: () => storeTable(false) }),
    interceptable({ m: 'SIDT', o: 'Ms', memOnly: true, compile: () => storeTable(true) }),
    interceptable({ m: 'LGDT', o: 'Ms', memOnly: true, ends: true, compile: () => loadTable(false) }),
    interceptable({ m: 'LIDT', o: 'Ms', memOnly: true, compile: () => loadTable(true) }),
    { m: 'SMSW', o: 'Ew', compile: storeWord((c) => c.cr0 & 0xffff) },
    undefined,
    { m: 'LMSW', o: 'Ew', ends: true, compile: lmsw },
    INVLPG,
  ];
  const g7reg: (RowSpec | undefined)[] = byRegField([undefined, undefined, undefined, undefined, g7[4], undefined, g7[6]]);
  g7reg[0o70] = SWAPGS;
  g7reg[0o71] = RDTSCP;
  g7reg[0o01] = { m: 'VMCALL', o: '', ends: true, compile: () => vmcall };
  g7reg[0o31] = { m: 'VMMCALL', o: '', ends: true, compile: () => vmcall };
  t.two(0x01, group(g7, g7reg));
  t.two(0x06, { m: 'CLTS', o: '', compile: () => clts });
  t.two(0x08, { m: 'INVD', o: '', compile: () => cacheFlush });
  t.two(0x09, { m: 'WBINVD', o: '', compile: () => cacheFlush });
}
