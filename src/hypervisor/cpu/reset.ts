/**
 * Architectural starting states: power-up/INIT (SDM Vol. 3A §9.1.1, table
 * 9-1), the start-up IPI, and the flat 32-bit protected mode that the PVH and
 * Multiboot boot protocols hand to a kernel.
 */
import type { Cpu } from './cpu.js';
import { Cr0, Cr4, Efer } from './cpu.js';
import { FlagOp } from './flags.js';
import { RFLAGS_FIXED, Seg } from './regs.js';
import { setSegment, updateCodeMode } from './segmentation.js';

/** Data segment, read/write, accessed, present (type 3, S, P). */
const DATA = 0x93;
/** Code segment, execute/read, accessed, present (type 0xb, S, P). */
const CODE = 0x9b;
const FLAT_LIMIT = 0xffffffff;
/** D/B and G: 32-bit default size, 4 KiB granularity. */
const DB_G = 0xc000;
/** L and G: 64-bit code. */
const L_G = 0xa000;

/**
 * The state after INIT: real mode at F000:FFF0, general registers zero, caches
 * of all segments 64 KiB at base 0 except CS. MSRs such as EFER survive INIT
 * only partially; tsvmi clears EFER as power-up does.
 */
export function resetCpu(c: Cpu): void {
  c.lo.fill(0);
  c.hi.fill(0);
  c.rflags = RFLAGS_FIXED;
  c.fOp = FlagOp.NONE;
  c.cr0 = (Cr0.ET | Cr0.NW | Cr0.CD) >>> 0;
  c.cr2 = c.cr3 = c.cr4 = c.cr8 = 0;
  c.efer = 0;
  c.dr.set([0, 0, 0, 0, 0, 0, 0xffff0ff0, 0x400]);
  c.gdtBase = c.idtBase = 0;
  c.gdtLimit = c.idtLimit = 0xffff;
  c.ldtSel = c.ldtBase = c.ldtLimit = 0;
  c.trSel = c.trBase = 0; c.trLimit = 0xffff; c.trAttr = 0x8b;
  c.nmiBlocked = c.nmiPending = false;
  c.inhibitNext = false;
  c.setCpl(0);
  for (const s of [Seg.ES, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) setSegment(c, s, 0, { base: 0, limit: 0xffff, attr: DATA });
  setSegment(c, Seg.CS, 0xf000, { base: 0xffff0000, limit: 0xffff, attr: CODE });
  c.updatePaging();
  c.rip = 0xfffffff0;
}

/** A start-up IPI with vector V starts real-mode execution at V000:0000 (SDM Vol. 3A §8.4.4.1). */
export function startupCpu(c: Cpu, vector: number): void {
  setSegment(c, Seg.CS, vector << 8, { base: vector << 12, limit: 0xffff, attr: CODE });
  c.rip = vector << 12;
}

/**
 * Flat 32-bit protected mode, paging off, interrupts off: the entry state of
 * the Xen PVH protocol (xen/include/public/arch-x86/hvm/start_info.h, "CS:
 * 32-bit read/execute code segment with an offset of 0 and a limit of
 * 0xFFFFFFFF ... TR: 32-bit TSS") and of Multiboot v1 (§3.2 "Machine state").
 */
export function enterFlat32(c: Cpu): void {
  c.cr0 = (Cr0.PE | Cr0.ET) >>> 0;
  c.cr4 = 0;
  c.efer = 0;
  c.setCpl(0);
  c.updatePaging();
  for (const s of [Seg.ES, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) setSegment(c, s, 0x10, { base: 0, limit: FLAT_LIMIT, attr: DATA | DB_G });
  setSegment(c, Seg.CS, 0x08, { base: 0, limit: FLAT_LIMIT, attr: CODE | DB_G });
  c.trSel = 0x18; c.trBase = 0; c.trLimit = 0x67; c.trAttr = 0x8b;
  updateCodeMode(c);
}

/** Flat 64-bit long mode at CPL 0 on the given page tables (tests, and tsvmi's direct 64-bit boot). */
export function enterLongMode(c: Cpu, cr3: number): void {
  c.cr3 = cr3;
  c.cr4 |= Cr4.PAE;
  c.efer |= Efer.LME | Efer.LMA | Efer.NXE | Efer.SCE;
  c.cr0 = (c.cr0 | Cr0.PE | Cr0.PG | Cr0.WP | Cr0.ET) & ~(Cr0.CD | Cr0.NW);
  c.cr0 >>>= 0;
  c.setCpl(0);
  for (const s of [Seg.ES, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) setSegment(c, s, 0x10, { base: 0, limit: FLAT_LIMIT, attr: DATA | DB_G });
  setSegment(c, Seg.CS, 0x08, { base: 0, limit: FLAT_LIMIT, attr: CODE | L_G });
  c.updatePaging();
}
