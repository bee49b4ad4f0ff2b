/**
 * Bit instructions: BT/BTS/BTR/BTC (0F A3/AB/B3/BB, and group 8: 0F BA /4../7),
 * BSF/BSR (0F BC/BD), their F3-prefixed counterparts TZCNT/LZCNT, POPCNT
 * (F3 0F B8) and BSWAP (0F C8+r). SDM Vol. 2, "BT", "BTS", "BTR", "BTC", "BSF",
 * "BSR", "TZCNT", "LZCNT", "POPCNT", "BSWAP".
 *
 * Where the SDM leaves something undefined we follow the AMD host: BSF/BSR of
 * 0 leave the destination untouched (not even zero-extending a 32-bit one);
 * BT* leave every flag but CF alone; BSF/BSR clear CF OF SF AF and set PF by
 * the index (by 0 for a zero source); BSWAP of a 16-bit register zeroes it.
 * TZCNT/LZCNT clear OF SF AF PF (the host keeps OF, which would cost
 * materialising the lazy flags).
 */
import type { Cpu } from '../cpu.js';
import { CANON, eaAddr16, eaAddr32, nonCanonical } from '../decode/ea.js';
import { group, type OpcodeTable, type RowSpec } from '../decode/table.js';
import { parity, setStatusFlags, settleFlags } from '../flags.js';
import type { Exec, Insn } from '../insn.js';
import { getE, prepareRm, readMem, readMemForWrite, setReg, writeMem } from '../operands.js';
import { Flag, TWO32 } from '../regs.js';
import { opcodeReg } from './mov.js';


// ---- BT, BTS, BTR, BTC ----------------------------------------------------------------

/** In opcode order: 0F A3/AB/B3/BB and 0F BA /4../7 (BTC, 3, is what `modify` does otherwise). */
const BT = 0, BTS = 1, BTR = 2;
const BT_NAMES = ['BT', 'BTS', 'BTR', 'BTC'];

/** The operand with the bits of `m` set (BTS), cleared (BTR) or complemented (BTC). */
const modify = (op: number, v: number, m: number): number => (op === BTS ? v | m : op === BTR ? v & ~m : v ^ m);

/** CF <- the selected bit; the other flags are left alone (SDM: ZF unaffected, the rest undefined). */
function bitToCF(c: Cpu, bit: number): void {
  settleFlags(c);
  c.rflags = (c.rflags & ~Flag.CF) | bit;
}

/**
 * A memory bit string addressed by a register: the offset is signed and not
 * limited to the operand, so the operand-sized word holding the bit is at
 * EA + (offset DIV width) * size (SDM Vol. 2 "BT", bit-base addressing).
 */
function bitAddress(c: Cpu, i: Insn, size: number): number {
  let disp: number;
  switch (size) {
    case 2: disp = (((c.lo[i.reg]! << 16) >> 16) >> 4) * 2; break;
    case 4: disp = (c.lo[i.reg]! >> 5) * 4; break;
    default: disp = c.hi[i.reg]! * 536870912 + (c.lo[i.reg]! >>> 6) * 8; // floor(offset / 64) * 8
  }
  const a = i.ea!(c, i) + disp;
  // Outside long mode linear addresses wrap at 4 GiB; in it the sum must still be canonical.
  if (i.ea === eaAddr32 || i.ea === eaAddr16) return ((a % TWO32) + TWO32) % TWO32;
  if (a < -CANON || a >= CANON) nonCanonical(i);
  return a;
}

/** BT* Ev, Gv (`imm` false) or Ev, Ib (`imm` true). */
function bitTest(op: number, i: Insn, imm: boolean): Exec {
  const size = i.opsize, w = size * 8;
  if (i.ea !== null) {
    return (c, i) => {
      let a: number, bit: number;
      if (imm) { a = i.ea!(c, i); bit = i.imm & (w - 1); } else { a = bitAddress(c, i, size); bit = c.lo[i.reg]! & (w - 1); }
      // BTS/BTR/BTC read for writing: a read-only page faults before CF changes.
      const lo = op === BT ? readMem(c, a, size) : readMemForWrite(c, a, size);
      if (size === 8) {
        const hi = c.vhi, m = 1 << (bit & 31);
        if (op !== BT) writeMem(c, a, 8, bit < 32 ? modify(op, lo, m) : lo, bit < 32 ? hi : modify(op, hi, m));
        bitToCF(c, ((bit < 32 ? lo : hi) >>> (bit & 31)) & 1);
      } else {
        if (op !== BT) writeMem(c, a, size, modify(op, lo, 1 << bit), 0);
        bitToCF(c, (lo >>> bit) & 1);
      }
    };
  }
  return (c, i) => {
    const bit = (imm ? i.imm : c.lo[i.reg]!) & (w - 1), r = i.rm;
    const half = bit < 32 ? c.lo : c.hi, m = 1 << (bit & 31);
    const v = half[r]!;
    if (op !== BT) {
      half[r] = modify(op, v, m);
      if (size === 4) c.hi[r] = 0;
    }
    bitToCF(c, (v >>> (bit & 31)) & 1);
  };
}

// ---- bit scans and counts ----------------------------------------------------------------

const ctz32 = (v: number): number => 31 - Math.clz32(v & -v);

function popcount32(v: number): number {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  v = (v + (v >>> 4)) & 0x0f0f0f0f;
  return Math.imul(v, 0x01010101) >>> 24;
}

type Scan = 'BSF' | 'BSR' | 'TZCNT' | 'LZCNT' | 'POPCNT';

/**
 * The count or index `kind` computes from a source of `w` bits (hi:lo at 64),
 * or -1 for BSF/BSR of 0, whose destination is left alone.
 */
function scan(kind: Scan, w: number, lo: number, hi: number): number {
  if ((lo | hi) === 0) return kind === 'BSF' || kind === 'BSR' ? -1 : kind === 'POPCNT' ? 0 : w;
  switch (kind) {
    case 'BSF': case 'TZCNT': return lo !== 0 ? ctz32(lo) : 32 + ctz32(hi);
    case 'BSR': return hi !== 0 ? 63 - Math.clz32(hi) : 31 - Math.clz32(lo);
    case 'LZCNT': return w === 64 ? (hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo)) : Math.clz32(lo) - (32 - w);
    default: return popcount32(lo) + popcount32(hi);
  }
}

/** Gv <- scan(Ev), with the flags of each kind. */
function bitScan(kind: Scan, i: Insn): Exec {
  const size = i.opsize, w = size * 8;
  prepareRm(i, size);
  const get = getE(i, size);
  return (c, i) => {
    const lo = get(c, i), hi = size === 8 ? c.vhi : 0;
    const r = scan(kind, w, lo, hi);
    switch (kind) {
      case 'BSF': case 'BSR':
        setStatusFlags(c, r < 0 ? Flag.ZF | Flag.PF : parity(r) << 2);
        if (r >= 0) setReg(c, i.reg, size, r, 0);
        return;
      case 'POPCNT':
        setStatusFlags(c, r === 0 ? Flag.ZF : 0);
        break;
      default: // TZCNT, LZCNT: CF when the source is 0, ZF when the count is
        setStatusFlags(c, (r === w ? Flag.CF : 0) | (r === 0 ? Flag.ZF : 0));
    }
    setReg(c, i.reg, size, r, 0);
  };
}

// ---- BSWAP -------------------------------------------------------------------------------

const bswap32 = (v: number): number => (v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);

function bswap(i: Insn): Exec {
  const r = opcodeReg(i);
  switch (i.opsize) {
    case 2: return (c) => { c.lo[r] = c.lo[r]! & ~0xffff; }; // undefined (SDM); zero on the host
    case 4: return (c) => { c.lo[r] = bswap32(c.lo[r]!); c.hi[r] = 0; };
    default: return (c) => { const lo = c.lo[r]!; c.lo[r] = bswap32(c.hi[r]!); c.hi[r] = bswap32(lo); };
  }
}

// ---- table -------------------------------------------------------------------------------

const scanRow = (kind: Scan): RowSpec => ({ m: kind, o: 'Gv,Ev', compile: (i) => bitScan(kind, i) });

export function register(t: OpcodeTable): void {
  [0xa3, 0xab, 0xb3, 0xbb].forEach((opcode, op) =>
    t.two(opcode, { m: BT_NAMES[op]!, o: 'Ev,Gv', lockable: op !== BT, compile: (i) => bitTest(op, i, false) }));
  const group8 = BT_NAMES.map((m, op): RowSpec => ({ m, o: 'Ev,Ib', lockable: op !== BT, compile: (i) => bitTest(op, i, true) }));
  t.two(0xba, group([undefined, undefined, undefined, undefined, ...group8]));
  t.twoPrefixed(0xbc, { none: scanRow('BSF'), f3: scanRow('TZCNT') });
  t.twoPrefixed(0xbd, { none: scanRow('BSR'), f3: scanRow('LZCNT') });
  t.twoPrefixed(0xb8, { f3: scanRow('POPCNT') }); // unprefixed 0F B8 is JMPE (IA-64 only): #UD
  for (let r = 0; r < 8; r++) t.two(0xc8 + r, { m: 'BSWAP', o: 'Zv', compile: bswap });
}
