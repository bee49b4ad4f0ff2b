/**
 * Segment-register instructions: MOV to/from Sreg, PUSH/POP of segment
 * registers (SDM Vol. 2 "MOV", "PUSH", "POP"). Loading SS holds off
 * interrupts and debug traps for one instruction (SDM Vol. 3A §6.8.3).
 */
import type { Cpu } from '../cpu.js';
import type { OpcodeTable } from '../decode/table.js';
import { ud } from '../fault.js';
import type { Exec, Insn } from '../insn.js';
import { prepareRm, putE } from '../operands.js';
import { Seg } from '../regs.js';
import { loadDataSegment } from '../segmentation.js';
import { pop, push } from '../stack.js';

function loadSeg(c: Cpu, seg: number, sel: number): void {
  loadDataSegment(c, seg, sel);
  if (seg === Seg.SS) { c.inhibitNext = true; c.debugShadow = true; c.breakBlock = true; }
}

function movFromSreg(i: Insn): Exec {
  const seg = i.regField;
  if (seg > Seg.GS) return () => ud();
  // To memory the store is always 16 bits; to a register it is zero-extended to the operand size.
  const size = i.ea !== null ? 2 : i.opsize;
  prepareRm(i, size);
  const put = putE(i, size);
  return (c, i) => put(c, i, c.segSel[seg]!, 0);
}

function movToSreg(i: Insn): Exec {
  const seg = i.regField;
  if (seg === Seg.CS || seg > Seg.GS) return () => ud();
  return (c, i) => {
    const sel = i.ea !== null ? c.mmu.read16(i.ea(c, i)) : c.lo[i.rm]! & 0xffff;
    loadSeg(c, seg, sel);
  };
}

const pushSeg = (seg: number) => (i: Insn): Exec => {
  const size = i.opsize;
  return (c) => push(c, size, c.segSel[seg]!, 0);
};

const popSeg = (seg: number) => (i: Insn): Exec => {
  const size = i.opsize;
  return (c) => {
    const sel = pop(c, size) & 0xffff;
    loadSeg(c, seg, sel);
  };
};

export function register(t: OpcodeTable): void {
  t.one(0x8c, { m: 'MOV', o: 'Ev,Sw', compile: movFromSreg });
  t.one(0x8e, { m: 'MOV', o: 'Sw,Ew', ends: true, compile: movToSreg });
  t.two(0xa0, { m: 'PUSH', o: '', d64: true, compile: pushSeg(Seg.FS) });
  t.two(0xa1, { m: 'POP', o: '', d64: true, ends: true, compile: popSeg(Seg.FS) });
  t.two(0xa8, { m: 'PUSH', o: '', d64: true, compile: pushSeg(Seg.GS) });
  t.two(0xa9, { m: 'POP', o: '', d64: true, ends: true, compile: popSeg(Seg.GS) });
  // The legacy forms are invalid in 64-bit mode; there is no POP CS.
  for (const [push16, seg] of [[0x06, Seg.ES], [0x0e, Seg.CS], [0x16, Seg.SS], [0x1e, Seg.DS]] as const) {
    t.one(push16, { m: 'PUSH', o: '', i64: true, compile: pushSeg(seg) });
    if (seg !== Seg.CS) t.one(push16 + 1, { m: 'POP', o: '', i64: true, ends: true, compile: popSeg(seg) });
  }
}
