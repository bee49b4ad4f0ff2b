/**
 * Loading system state into a paused vCPU from outside (a debugger's or an
 * introspection client's "set registers"): control registers, EFER, debug
 * registers, segment registers and descriptor-table registers, all at once.
 *
 * This is a VMCS/VMCB guest-state load rather than a sequence of guest
 * instructions: no transition rules (MOV CR0 may not enable paging from 64-bit
 * code, WRMSR may not flip LME with paging on) stand between two consistent
 * states. The result is held to the consistency checks of VM entry instead
 * (SDM Vol. 3C §26.3.1.1 control registers, debug registers and MSRs; §26.3.1.2
 * segment registers; §26.3.1.3 GDTR and IDTR). A state that fails them is
 * refused with the rule it broke, and the vCPU is left exactly as it was.
 */
import type { Cpu } from '../cpu/cpu.js';
import { Attr } from '../cpu/descriptor.js';
import { EFER_WRITABLE } from '../cpu/msr.js';
import { CR4_SUPPORTED } from '../cpu/ops/control-regs.js';
import { Cr0, Cr4, Efer, Seg } from '../cpu/regs.js';
import { updateCodeMode } from '../cpu/segmentation.js';
import { MAXPHYADDR } from '../mmu/paging-bits.js';

/** One segment register: selector and descriptor cache, attributes in the VMX access-rights layout (descriptor.ts). */
export interface SegmentState { selector: number; base: number; limit: number; attributes: number }

/** What may be loaded; absent fields keep their values. Addresses are canonical signed numbers, as the CPU keeps them. */
export interface SystemState {
  cr0?: number; cr3?: number; cr4?: number; efer?: number;
  /** DR0-DR3: breakpoint addresses, any 64-bit value (as MOV to DR0-DR3 allows). */
  dr0to3?: ReadonlyMap<number, number>;
  dr6?: number; dr7?: number;
  /** By Seg index: ES CS SS DS FS GS. */
  segments?: ReadonlyMap<number, SegmentState>;
  fsBase?: number; gsBase?: number; kernelGsBase?: number;
  gdtr?: { base: number; limit: number };
  idtr?: { base: number; limit: number };
}

export class GuestStateError extends Error {
  override readonly name: string = 'GuestStateError';
}

const TWO32 = 2 ** 32;
const canonical = (v: number): boolean => Number.isInteger(v) && v >= -(2 ** 47) && v < 2 ** 47;
const u32 = (v: number): boolean => Number.isInteger(v) && v >= 0 && v < TWO32;

type Saved = ReturnType<typeof save>;

function save(c: Cpu) {
  return {
    cr0: c.cr0, cr3: c.cr3, cr4: c.cr4, efer: c.efer, dr: c.dr.slice(), kernelGsBase: c.kernelGsBase,
    sel: c.segSel.slice(), base: c.segBase.slice(), limit: c.segLimit.slice(), attr: c.segAttr.slice(),
    gdt: [c.gdtBase, c.gdtLimit], idt: [c.idtBase, c.idtLimit],
  };
}

function restore(c: Cpu, s: Saved): void {
  Object.assign(c, { cr0: s.cr0, cr3: s.cr3, cr4: s.cr4, efer: s.efer, kernelGsBase: s.kernelGsBase, gdtBase: s.gdt[0], gdtLimit: s.gdt[1], idtBase: s.idt[0], idtLimit: s.idt[1] });
  c.dr.set(s.dr);
  c.segSel.set(s.sel); c.segBase.set(s.base); c.segLimit.set(s.limit); c.segAttr.set(s.attr);
}

/** Load `s` into the vCPU, or throw GuestStateError and change nothing. */
export function loadSystemState(c: Cpu, s: SystemState): void {
  const before = save(c);
  try {
    assign(c, s);
    check(c);
  } catch (e) {
    restore(c, before);
    throw e;
  }
  // What the CPU derives from that state: the paging mode (and a TLB flush), the code
  // and stack widths, the privilege level (VMX takes the CPL from SS.DPL), data breakpoints.
  c.updatePaging();
  updateCodeMode(c);
  c.setCpl((c.cr0 & Cr0.PE) !== 0 ? (c.segAttr[Seg.SS]! & Attr.DPL) >> Attr.DPL_SHIFT : 0);
  c.updateWatch();
  c.breakBlock = true;
}

function assign(c: Cpu, s: SystemState): void {
  if (s.cr0 !== undefined) {
    need(u32(s.cr0), 'CR0 bits 63:32 are reserved');
    c.cr0 = (s.cr0 | Cr0.ET) >>> 0;
  }
  if (s.cr3 !== undefined) {
    need(Number.isInteger(s.cr3) && s.cr3 >= 0 && s.cr3 < 2 ** MAXPHYADDR, `CR3 is beyond the ${MAXPHYADDR}-bit physical address width`);
    c.cr3 = s.cr3;
  }
  if (s.cr4 !== undefined) {
    need(u32(s.cr4) && (s.cr4 & ~CR4_SUPPORTED) === 0, `CR4 0x${s.cr4.toString(16)} sets bits this vCPU does not implement`);
    c.cr4 = s.cr4;
  }
  if (s.efer !== undefined) {
    need(u32(s.efer) && (s.efer & ~(EFER_WRITABLE | Efer.LMA)) === 0, `EFER 0x${s.efer.toString(16)} sets reserved bits`);
    c.efer = s.efer;
  }
  for (const [n, v] of s.dr0to3 ?? []) {
    need(n >= 0 && n <= 3 && Number.isFinite(v), `DR${n}`);
    c.dr[n] = v;
  }
  // Bits 63:32 of DR6 and DR7 are reserved (§26.3.1.1); the fixed bits read as on hardware.
  if (s.dr6 !== undefined) {
    need(u32(s.dr6), 'DR6 bits 63:32 are reserved');
    c.dr[6] = ((s.dr6 & 0x0000e00f) | 0xffff0ff0) >>> 0;
  }
  if (s.dr7 !== undefined) {
    need(u32(s.dr7), 'DR7 bits 63:32 are reserved');
    c.dr[7] = ((s.dr7 & 0xffff2bff) | 0x400) >>> 0;
  }
  for (const [seg, v] of s.segments ?? []) {
    need(seg >= Seg.ES && seg <= Seg.GS, `segment index ${seg}`);
    need(v.selector >= 0 && v.selector <= 0xffff && u32(v.limit) && (v.attributes & ~0xf0ff) === 0, `segment ${seg}: selector, limit or attributes out of range`);
    need(canonical(v.base) && (seg === Seg.FS || seg === Seg.GS || u32(v.base)), `segment ${seg}: base must be canonical, and 32-bit for ES, CS, SS, DS`);
    c.segSel[seg] = v.selector; c.segBase[seg] = v.base; c.segLimit[seg] = v.limit; c.segAttr[seg] = v.attributes;
  }
  for (const [v, what, set] of [
    [s.fsBase, 'FS base', (b: number) => { c.segBase[Seg.FS] = b; }],
    [s.gsBase, 'GS base', (b: number) => { c.segBase[Seg.GS] = b; }],
    [s.kernelGsBase, 'KERNEL_GS_BASE', (b: number) => { c.kernelGsBase = b; }],
  ] as const) {
    if (v === undefined) continue;
    need(canonical(v), `${what} is not canonical`);
    set(v);
  }
  for (const [t, name] of [[s.gdtr, 'GDTR'], [s.idtr, 'IDTR']] as const) {
    if (!t) continue;
    need(canonical(t.base) && Number.isInteger(t.limit) && t.limit >= 0 && t.limit <= 0xffff, `${name} base must be canonical and its limit 16-bit`);
    if (name === 'GDTR') { c.gdtBase = t.base; c.gdtLimit = t.limit; } else { c.idtBase = t.base; c.idtLimit = t.limit; }
  }
}

/** The VM-entry checks that tie the pieces together. */
function check(c: Cpu): void {
  const pg = (c.cr0 & Cr0.PG) !== 0, lma = (c.efer & Efer.LMA) !== 0;
  need(!pg || (c.cr0 & Cr0.PE) !== 0, 'CR0.PG needs CR0.PE');
  need(!(c.cr0 & Cr0.NW) || (c.cr0 & Cr0.CD) !== 0, 'CR0.NW needs CR0.CD');
  need(!pg || lma === ((c.efer & Efer.LME) !== 0), 'with paging on, EFER.LMA must equal EFER.LME');
  need(!lma || (pg && (c.cr4 & Cr4.PAE) !== 0), 'EFER.LMA (IA-32e mode) needs CR0.PG and CR4.PAE');
  const cs = c.segAttr[Seg.CS]!;
  need(!lma || !(cs & Attr.L) || !(cs & Attr.DB), 'a 64-bit code segment (CS.L) must have CS.D clear');
}

/** Refuse with the rule unless it holds. */
function need(ok: boolean, rule: string): void {
  if (!ok) throw new GuestStateError(rule);
}
