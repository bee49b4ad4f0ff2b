/**
 * Delivering exceptions and interrupts through the IVT (real mode) or the IDT
 * (protected and long mode), SDM Vol. 3A chapter 6, and escalating faults that
 * happen during delivery to #DF and then to shutdown (§6.15, table 6-5).
 *
 * The return address pushed is `cpu.rip` as the caller leaves it: the
 * faulting instruction for faults, the next one for traps and INT n.
 */
import type { Cpu } from './cpu.js';
import { Attr, SysType, dpl, isCode, readDescriptor } from './descriptor.js';
import { CANON } from './decode/ea.js';
import { GuestFault, Vector, hasErrorCode } from './fault.js';
import { readRflags } from './flags.js';
import { Flag, Reg, Seg, TWO32 } from './regs.js';
import { longModeActive, protectedMode, setSegment } from './segmentation.js';
import { push } from './stack.js';

/** Event types, numbered as VMX's interruption-information field (SDM Vol. 3C §24.8.3). */
export const EventType = {
  EXTERNAL: 0, NMI: 2, HW_EXCEPTION: 3, SW_INTERRUPT: 4, PRIV_SW_EXCEPTION: 5, SW_EXCEPTION: 6,
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** Raised when delivery fails so badly that the processor shuts down (triple fault). */
export class Shutdown extends Error {
  override readonly name = 'Shutdown';
}

const CONTRIBUTORY = new Set<number>([Vector.DE, Vector.TS, Vector.NP, Vector.SS, Vector.GP]);
const klass = (v: number): 'benign' | 'contributory' | 'pf' | 'df' =>
  v === Vector.PF ? 'pf' : v === Vector.DF ? 'df' : CONTRIBUTORY.has(v) ? 'contributory' : 'benign';

/** Table 6-5: does a `second` fault while delivering `first` make a double fault? */
function isDoubleFault(first: number, second: number): boolean {
  const a = klass(first), b = klass(second);
  if (a === 'contributory') return b === 'contributory';
  if (a === 'pf') return b === 'contributory' || b === 'pf';
  return false;
}

/** Software-originated events: INT n, INT3, INTO (and ICEBP is "privileged software"). */
const isSoftware = (t: EventType): boolean => t === EventType.SW_INTERRUPT || t === EventType.SW_EXCEPTION || t === EventType.PRIV_SW_EXCEPTION;


/**
 * Deliver one event; faults during delivery are handled per table 6-5. Throws
 * `Shutdown` on a triple fault. For a software event (INT n, INT3, INTO,
 * INT1), `instructionAddr` is the instruction's own address: a fault while
 * delivering it is a fault of that instruction, so it is what the fault's
 * frame must return to (e.g. #GP for INT n through a DPL 0 gate).
 */
export function deliverEvent(c: Cpu, vector: number, type: EventType, errorCode: number | undefined, instructionAddr?: number, faultFrame = false): void {
  let v = vector, t = type, err = errorCode, rf = faultFrame;
  for (;;) {
    const saved = snapshot(c);
    try {
      deliverOnce(c, v, t, err, rf);
      const d = c.delivered; // what went through in the end: the event, or the fault (or #DF) its delivery raised
      d.vector = v; d.type = t; d.errorCode = err;
      return;
    } catch (e) {
      if (!(e instanceof GuestFault)) throw e;
      restore(c, saved);
      if (isSoftware(t) && instructionAddr !== undefined) c.rip = instructionAddr;
      if (e.vector === Vector.PF) c.cr2 = e.address;
      if (v === Vector.DF && t === EventType.HW_EXCEPTION) throw new Shutdown('triple fault');
      // Error codes raised while reading the IDT or a gate's segment already carry EXT.
      if (t === EventType.HW_EXCEPTION && isDoubleFault(v, e.vector)) { v = Vector.DF; err = 0; }
      else { v = e.vector; err = hasErrorCode(e.vector) ? e.errorCode : undefined; }
      t = EventType.HW_EXCEPTION;
      rf = true;
    }
  }
}

interface Snapshot { rsp: [number, number]; cpl: number; cs: [number, number, number, number]; ss: [number, number, number, number]; rflags: number; rip: number }

function snapshot(c: Cpu): Snapshot {
  const seg = (s: number): [number, number, number, number] => [c.segSel[s]!, c.segBase[s]!, c.segLimit[s]!, c.segAttr[s]!];
  return { rsp: [c.lo[Reg.RSP]!, c.hi[Reg.RSP]!], cpl: c.cpl, cs: seg(Seg.CS), ss: seg(Seg.SS), rflags: readRflags(c), rip: c.rip };
}

function restore(c: Cpu, s: Snapshot): void {
  c.lo[Reg.RSP] = s.rsp[0]; c.hi[Reg.RSP] = s.rsp[1];
  c.setCpl(s.cpl);
  setSegment(c, Seg.SS, s.ss[0], { base: s.ss[1], limit: s.ss[2], attr: s.ss[3] });
  setSegment(c, Seg.CS, s.cs[0], { base: s.cs[1], limit: s.cs[2], attr: s.cs[3] });
  c.setRflags(s.rflags);
  c.rip = s.rip;
}

function deliverOnce(c: Cpu, vector: number, type: EventType, err: number | undefined, rf: boolean): void {
  if (!protectedMode(c)) return deliverReal(c, vector);
  const flags = readRflags(c) | (rf ? Flag.RF : 0);
  if (longModeActive(c)) return deliverLong(c, vector, type, err, flags);
  return deliverProtected(c, vector, type, err, flags);
}

/** Error code for a fault caused by IDT entry `vector`: IDT bit, EXT for external events (SDM §6.13). */
const idtError = (vector: number, type: EventType): number => vector * 8 + 2 + (isSoftware(type) ? 0 : 1);

/** Real mode: IVT of 4-byte CS:IP vectors; pushes FLAGS, CS, IP (SDM Vol. 3A §20.1.4). */
function deliverReal(c: Cpu, vector: number): void {
  if (vector * 4 + 3 > c.idtLimit) throw new GuestFault(Vector.GP, 0);
  const entry = c.mmu.readSupervisor32(c.idtBase + vector * 4);
  push(c, 2, readRflags(c) & 0xffff, 0);
  push(c, 2, c.segSel[Seg.CS]!, 0);
  push(c, 2, (c.rip - c.segBase[Seg.CS]!) & 0xffff, 0);
  c.rflags &= ~(Flag.IF | Flag.TF | Flag.AC);
  const sel = entry >>> 16;
  setSegment(c, Seg.CS, sel, { base: sel * 16, limit: c.segLimit[Seg.CS]!, attr: c.segAttr[Seg.CS]! });
  c.rip = sel * 16 + (entry & 0xffff);
}

/** The target code segment of a gate, with the checks of SDM Vol. 3A §6.12.1.1 / §6.14.1. */
function gateTarget(c: Cpu, sel: number, type: EventType, long: boolean): { d: ReturnType<typeof readDescriptor>['d']; newCpl: number } {
  const ext = isSoftware(type) ? 0 : 1;
  if ((sel & 0xfffc) === 0) throw new GuestFault(Vector.GP, ext);
  const { d } = readDescriptor(c, sel);
  if (!isCode(d.attr) || dpl(d.attr) > c.cpl || (long && (!(d.attr & Attr.L) || (d.attr & Attr.DB)))) throw new GuestFault(Vector.GP, (sel & 0xfffc) | ext);
  if (!(d.attr & Attr.P)) throw new GuestFault(Vector.NP, (sel & 0xfffc) | ext);
  const newCpl = d.attr & Attr.CONFORMING_OR_DOWN ? c.cpl : dpl(d.attr);
  return { d, newCpl };
}

/** Long mode: 16-byte gates, IST, 64-bit frames always including SS:RSP (SDM Vol. 3A §6.14). */
function deliverLong(c: Cpu, vector: number, type: EventType, err: number | undefined, oldFlags: number): void {
  if (vector * 16 + 15 > c.idtLimit) throw new GuestFault(Vector.GP, idtError(vector, type));
  const at = c.idtBase + vector * 16;
  const w0 = c.mmu.readSupervisor32(at), w1 = c.mmu.readSupervisor32(at + 4), w2 = c.mmu.readSupervisor32(at + 8);
  const gateType = (w1 >> 8) & 15;
  if (gateType !== SysType.INTR_GATE && gateType !== SysType.TRAP_GATE) throw new GuestFault(Vector.GP, idtError(vector, type));
  if (isSoftware(type) && type !== EventType.PRIV_SW_EXCEPTION && ((w1 >> 13) & 3) < c.cpl) throw new GuestFault(Vector.GP, idtError(vector, type));
  if (!(w1 & 0x8000)) throw new GuestFault(Vector.NP, idtError(vector, type));
  const offset = (w2 | 0) * TWO32 + (((w1 & 0xffff0000) | (w0 & 0xffff)) >>> 0);
  const sel = w0 >>> 16, ist = w1 & 7;
  const { d, newCpl } = gateTarget(c, sel, type, true);
  if (offset < -CANON || offset >= CANON) throw new GuestFault(Vector.GP, 0);

  const oldSs = c.segSel[Seg.SS]!, oldRspLo = c.lo[Reg.RSP]!, oldRspHi = c.hi[Reg.RSP]!;
  const oldCs = c.segSel[Seg.CS]!, ret = c.rip;
  let rsp: number | undefined;
  if (ist !== 0) rsp = tssRead64(c, 36 + (ist - 1) * 8);
  else if (newCpl < c.cpl) rsp = tssRead64(c, 4 + newCpl * 8);
  if (rsp !== undefined) {
    if (rsp < -CANON || rsp >= CANON) throw new GuestFault(Vector.SS, 0);
    c.lo[Reg.RSP] = rsp % TWO32 | 0;
    c.hi[Reg.RSP] = Math.floor(rsp / TWO32) | 0;
  }
  // The frame is 16-byte aligned (SDM §6.14.2).
  c.lo[Reg.RSP] = c.lo[Reg.RSP]! & ~15;
  const changesCpl = newCpl !== c.cpl;
  c.setCpl(newCpl);
  c.stackBits = 64;
  push(c, 8, oldSs, 0);
  push(c, 8, oldRspLo, oldRspHi);
  push(c, 8, oldFlags, 0);
  push(c, 8, oldCs, 0);
  push(c, 8, ret | 0, Math.floor(ret / TWO32) | 0);
  if (err !== undefined) push(c, 8, err, 0);
  if (changesCpl) setSegment(c, Seg.SS, newCpl, { base: 0, limit: 0, attr: 0 }); // SS = NULL with RPL = new CPL
  setSegment(c, Seg.CS, (sel & 0xfffc) | newCpl, d);
  finishDelivery(c, gateType === SysType.INTR_GATE, offset);
}

/** Protected mode with 32-bit (or 16-bit) interrupt and trap gates (SDM Vol. 3A §6.12). */
function deliverProtected(c: Cpu, vector: number, type: EventType, err: number | undefined, oldFlags: number): void {
  if (vector * 8 + 7 > c.idtLimit) throw new GuestFault(Vector.GP, idtError(vector, type));
  const at = c.idtBase + vector * 8;
  const w0 = c.mmu.readSupervisor32(at), w1 = c.mmu.readSupervisor32(at + 4);
  const gateType = (w1 >> 8) & 15;
  const size = gateType === SysType.INTR_GATE || gateType === SysType.TRAP_GATE ? 4 : gateType === SysType.INTR_GATE16 || gateType === SysType.TRAP_GATE16 ? 2 : 0;
  if (size === 0) throw new GuestFault(Vector.GP, idtError(vector, type)); // task gates are not modelled
  if (isSoftware(type) && type !== EventType.PRIV_SW_EXCEPTION && ((w1 >> 13) & 3) < c.cpl) throw new GuestFault(Vector.GP, idtError(vector, type));
  if (!(w1 & 0x8000)) throw new GuestFault(Vector.NP, idtError(vector, type));
  const offset = ((w1 & 0xffff0000) | (w0 & 0xffff)) >>> 0;
  const sel = w0 >>> 16;
  const { d, newCpl } = gateTarget(c, sel, type, false);

  const oldSs = c.segSel[Seg.SS]!, oldEsp = c.lo[Reg.RSP]!;
  const oldCs = c.segSel[Seg.CS]!, ret = c.rip - c.segBase[Seg.CS]!;
  if (newCpl < c.cpl) {
    // Inner-privilege stack from the 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n.
    const esp = c.mmu.readSupervisor32(c.trBase + 4 + newCpl * 8);
    const ss = c.mmu.readSupervisor32(c.trBase + 8 + newCpl * 8) & 0xffff;
    const { d: ssd } = readDescriptor(c, ss, Vector.TS);
    c.setCpl(newCpl);
    setSegment(c, Seg.SS, ss, ssd);
    c.lo[Reg.RSP] = esp; c.hi[Reg.RSP] = 0;
    push(c, size, oldSs, 0);
    push(c, size, oldEsp, 0);
  }
  push(c, size, oldFlags, 0);
  push(c, size, oldCs, 0);
  push(c, size, ret, 0);
  if (err !== undefined) push(c, size, err, 0);
  c.setCpl(newCpl);
  setSegment(c, Seg.CS, (sel & 0xfffc) | newCpl, d);
  finishDelivery(c, gateType === SysType.INTR_GATE || gateType === SysType.INTR_GATE16, d.base + offset);
}

/** Flags on handler entry (SDM §6.12.1.3): TF, NT, RF and VM clear; IF clear through interrupt gates. */
function finishDelivery(c: Cpu, interruptGate: boolean, target: number): void {
  c.rflags &= ~(Flag.TF | Flag.NT | Flag.RF | Flag.VM | (interruptGate ? Flag.IF : 0));
  c.rip = target;
  c.breakBlock = true;
}

function tssRead64(c: Cpu, offset: number): number {
  if (offset + 7 > c.trLimit) throw new GuestFault(Vector.TS, c.trSel & 0xfffc);
  const lo = c.mmu.readSupervisor32(c.trBase + offset), hi = c.mmu.readSupervisor32(c.trBase + offset + 4);
  return hi * TWO32 + (lo >>> 0);
}
