/**
 * Atomic read-modify-write instructions: XADD, CMPXCHG, CMPXCHG8B and
 * CMPXCHG16B (SDM Vol. 2, under those names), and group 9 (0F C7) which holds
 * the last two.
 *
 * All of them take LOCK on a memory destination. The vCPUs of a domain share
 * one thread and an instruction runs to completion before another starts, so
 * LOCK needs nothing beyond the decoder's validity check. What does matter is
 * fault ordering: every memory destination is written (possibly faulting)
 * before any register changes, so a faulting instruction can be restarted.
 */
import { AluOp, alu, alu64 } from '../alu.js';
import type { Cpu } from '../cpu.js';
import { group, type OpcodeTable, type RowSpec } from '../decode/table.js';
import { gp } from '../fault.js';
import { settleFlags } from '../flags.js';
import type { Exec, Insn } from '../insn.js';
import {
  getE, getG, prepareReg, prepareRm, putE, putG, readMem, setReg, sizeMask, writeMem,
} from '../operands.js';
import { Flag, Reg } from '../regs.js';

const RAX = Reg.RAX, RCX = Reg.RCX, RDX = Reg.RDX, RBX = Reg.RBX;

/** a + b with ADD's flags; the high half of a 64-bit sum is left in `c.vhi`. */
function add(c: Cpu, size: number, a: number, ah: number, b: number, bh: number): number {
  return size === 8 ? alu64(c, AluOp.ADD, a, ah, b, bh) : alu(c, AluOp.ADD, size * 8, a, b);
}

/**
 * XADD: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP. The destination is
 * written last, so `xadd rax, rax` leaves the sum (as on hardware).
 */
function xadd(i: Insn): Exec {
  const size = i.opsize;
  prepareRm(i, size); prepareReg(i, size);
  const getSrc = getG(size), putSrc = putG(size);
  if (i.ea !== null) {
    return (c, i) => {
      const a = i.ea!(c, i);
      const d = readMem(c, a, size), dh = c.vhi;
      const s = getSrc(c, i), sh = c.vhi;
      const r = add(c, size, d, dh, s, sh);
      writeMem(c, a, size, r, c.vhi);
      putSrc(c, i, d, dh);
    };
  }
  const getDst = getE(i, size), putDst = putE(i, size);
  return (c, i) => {
    const d = getDst(c, i), dh = c.vhi;
    const s = getSrc(c, i), sh = c.vhi;
    const r = add(c, size, d, dh, s, sh), rh = c.vhi;
    putSrc(c, i, d, dh);
    putDst(c, i, r, rh);
  };
}

/**
 * CMPXCHG: compare the accumulator with DEST (flags of CMP acc, DEST). Equal:
 * DEST = SRC. Not equal: the accumulator is loaded from DEST, and a memory
 * DEST is written back with its own value ("the destination operand receives
 * a write cycle without regard to the result of the comparison"), so a
 * read-only page faults either way.
 *
 * With 32-bit operands only what is written is zero-extended: on success
 * RAX keeps its upper half; on failure RAX is zero-extended and a register
 * DEST is not touched at all (verified on the host CPU; QEMU agrees).
 */
function cmpxchg(i: Insn): Exec {
  const size = i.opsize, bits = size * 8, mask = sizeMask(size);
  prepareRm(i, size); prepareReg(i, size);
  const getSrc = getG(size);
  /** Compares, sets the flags, and says whether the accumulator equals (d, dh). */
  const same = (c: Cpu, d: number, dh: number): boolean => {
    const a = c.lo[RAX]!, ah = c.hi[RAX]!;
    if (size === 8) {
      alu64(c, AluOp.CMP, a, ah, d, dh);
      return a === d && ah === dh;
    }
    return alu(c, AluOp.CMP, bits, a & mask, d) === 0;
  };
  if (i.ea !== null) {
    return (c, i) => {
      const a = i.ea!(c, i);
      const d = readMem(c, a, size), dh = c.vhi;
      if (same(c, d, dh)) {
        const s = getSrc(c, i);
        writeMem(c, a, size, s, c.vhi);
      } else {
        writeMem(c, a, size, d, dh);
        setReg(c, RAX, size, d, dh);
      }
    };
  }
  const getDst = getE(i, size), putDst = putE(i, size);
  return (c, i) => {
    const d = getDst(c, i), dh = c.vhi;
    if (same(c, d, dh)) {
      const s = getSrc(c, i);
      putDst(c, i, s, c.vhi);
    } else {
      setReg(c, RAX, size, d, dh);
    }
  };
}

/** Set ZF alone: CMPXCHG8B/16B leave CF, PF, AF, SF and OF unchanged. */
function setZF(c: Cpu, on: boolean): void {
  settleFlags(c);
  c.rflags = on ? c.rflags | Flag.ZF : c.rflags & ~Flag.ZF;
}

/**
 * CMPXCHG8B m64: EDX:EAX against m64; equal: m64 = ECX:EBX, else EDX:EAX =
 * m64 (zero-extending RDX and RAX) and m64 is written back. Only ZF changes.
 */
const cmpxchg8b: Exec = (c, i) => {
  const a = i.ea!(c, i);
  const lo = c.mmu.read64(a), hi = c.mmu.hi;
  const eq = lo === c.lo[RAX] && hi === c.lo[RDX];
  if (eq) {
    c.mmu.write64(a, c.lo[RBX]!, c.lo[RCX]!);
  } else {
    c.mmu.write64(a, lo, hi);
    setReg(c, RAX, 4, lo, 0);
    setReg(c, RDX, 4, hi, 0);
  }
  setZF(c, eq);
};

/**
 * CMPXCHG16B m128: the same with RDX:RAX and RCX:RBX. The operand must be
 * 16-byte aligned, else #GP(0) whatever the alignment-check settings. Being
 * aligned it lies within one page, so the first write succeeding means the
 * second will.
 */
const cmpxchg16b: Exec = (c, i) => {
  const a = i.ea!(c, i);
  if ((a & 15) !== 0) gp(0);
  const m = c.mmu;
  const lo0 = m.read64(a), hi0 = m.hi, lo1 = m.read64(a + 8), hi1 = m.hi;
  const eq = lo0 === c.lo[RAX] && hi0 === c.hi[RAX] && lo1 === c.lo[RDX] && hi1 === c.hi[RDX];
  if (eq) {
    m.write64(a, c.lo[RBX]!, c.hi[RBX]!);
    m.write64(a + 8, c.lo[RCX]!, c.hi[RCX]!);
  } else {
    m.write64(a, lo0, hi0);
    m.write64(a + 8, lo1, hi1);
    c.lo[RAX] = lo0; c.hi[RAX] = hi0;
    c.lo[RDX] = lo1; c.hi[RDX] = hi1;
  }
  setZF(c, eq);
};

/** Group 9 /1: REX.W selects the 16-byte form (SDM Vol. 2 "CMPXCHG8B/CMPXCHG16B"). */
const CMPXCHG8B_16B: RowSpec = {
  m: 'CMPXCHG8B', o: 'Mq', memOnly: true, lockable: true,
  compile: (i) => (i.opsize === 8 ? cmpxchg16b : cmpxchg8b),
};

export function register(t: OpcodeTable): void {
  t.two(0xc0, { m: 'XADD', o: 'Eb,Gb', lockable: true, compile: xadd });
  t.two(0xc1, { m: 'XADD', o: 'Ev,Gv', lockable: true, compile: xadd });
  t.two(0xb0, { m: 'CMPXCHG', o: 'Eb,Gb', lockable: true, compile: cmpxchg });
  t.two(0xb1, { m: 'CMPXCHG', o: 'Ev,Gv', lockable: true, compile: cmpxchg });
  // Group 9 (SDM Vol. 2 table A-6). /6 and /7 register forms are RDRAND and
  // RDSEED, not implemented (CPUID does not advertise them), hence #UD.
  t.two(0xc7, group([undefined, CMPXCHG8B_16B]));
}
