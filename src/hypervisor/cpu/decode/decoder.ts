/**
 * The instruction decoder: prefixes, REX, opcode maps, ModRM/SIB/displacement
 * and immediates (SDM Vol. 2A chapter 2), producing an `Insn` whose `exec`
 * comes from the table row. Undecodable bytes become #UD, an instruction
 * longer than 15 bytes #GP(0) (SDM Vol. 2A §2.3.11).
 */
import { GuestFault, Vector, ud } from '../fault.js';
import { Insn, RIP_BASE, SEG_ZERO } from '../insn.js';
import { Reg, Seg } from '../regs.js';
import {
  RM16_BASE, RM16_INDEX, eaAbs64, eaAddr16, eaAddr32, eaAddr32In64, eaBase64, eaBaseIndex64, eaIndex64,
} from './ea.js';
import { Imm, OpcodeTable, Row } from './table.js';

/** Reads the code byte at a linear address (through the MMU, with execute permission). */
export type FetchByte = (la: number) => number;

const SEG_PREFIX: Record<number, number> = { 0x26: Seg.ES, 0x2e: Seg.CS, 0x36: Seg.SS, 0x3e: Seg.DS, 0x64: Seg.FS, 0x65: Seg.GS };
const MAX_INSN_LEN = 15;

export class Decoder {
  private la = 0;
  private start = 0;

  constructor(private readonly table: OpcodeTable, private readonly fetchByte: FetchByte) {}

  private byte(): number {
    if (this.la - this.start >= MAX_INSN_LEN) throw new GuestFault(Vector.GP, 0);
    return this.fetchByte(this.la++);
  }

  private int(bytes: number): number {
    let v = 0;
    for (let k = 0; k < bytes; k++) v |= this.byte() << (8 * k);
    return bytes === 1 ? (v << 24) >> 24 : bytes === 2 ? (v << 16) >> 16 : v | 0;
  }

  /** Decode the instruction at `la` for a code segment of `codeBits` (16, 32 or 64). */
  decode(la: number, codeBits: number): Insn {
    const i = new Insn();
    this.la = this.start = la;
    i.addr = la;
    const long = codeBits === 64;
    let opsizePrefix = false, adsizePrefix = false, lastMandatory = 0;
    let b: number;
    for (;;) {
      b = this.byte();
      if (b === 0x66) { opsizePrefix = true; if (lastMandatory === 0) lastMandatory = 0x66; }
      else if (b === 0x67) adsizePrefix = true;
      else if (b === 0xf2 || b === 0xf3) { i.rep = b; lastMandatory = b; }
      else if (b === 0xf0) i.lock = true;
      else if (b in SEG_PREFIX) i.segOverride = SEG_PREFIX[b]!;
      else if (long && (b & 0xf0) === 0x40) {
        // REX counts only when it immediately precedes the opcode (SDM Vol. 2A §2.2.1).
        i.rex = b;
        b = this.byte();
        if (b === 0x66 || b === 0x67 || b === 0xf2 || b === 0xf3 || b === 0xf0 || b in SEG_PREFIX || (b & 0xf0) === 0x40) {
          i.rex = 0;
          this.la--;
          continue;
        }
        break;
      } else break;
    }

    let r: Row | undefined;
    if (b === 0x0f) {
      const b2 = this.byte();
      if (b2 === 0x38) {
        const b3 = this.byte();
        i.opcode = 0x0f3800 | b3;
        r = this.table.map38[b3];
      } else {
        i.opcode = 0x0f00 | b2;
        r = this.table.secondary[b2];
      }
    } else {
      i.opcode = b;
      r = this.table.primary[b];
    }
    if (!r) ud();
    if (r.prefixed) {
      const p = r.prefixed;
      const chosen = lastMandatory === 0xf3 ? p.f3 : lastMandatory === 0xf2 ? p.f2 : lastMandatory === 0x66 ? p.p66 : undefined;
      if (chosen) {
        r = chosen;
        if (lastMandatory === 0x66) opsizePrefix = false; else i.rep = 0;
      }
    }

    const rexW = (i.rex & 8) !== 0;
    // Segment for operands without ModRM (moffs, string instructions); memoryOperand refines it.
    if (long) i.seg = i.segOverride === Seg.FS || i.segOverride === Seg.GS ? i.segOverride : SEG_ZERO;
    else i.seg = i.segOverride >= 0 ? i.segOverride : Seg.DS;
    if (long) i.adsize = adsizePrefix ? 4 : 8;
    else i.adsize = (codeBits === 32) !== adsizePrefix ? 4 : 2;

    if (r.modrm) {
      const m = this.byte();
      i.modrm = m;
      i.mod = m >> 6;
      i.regField = (m >> 3) & 7;
      i.reg = i.regField | ((i.rex & 4) << 1);
      i.rm = (m & 7) | ((i.rex & 1) << 3);
      if (r.group) {
        const sub = i.mod === 3 && r.regForms ? r.regForms[m & 0x3f] : r.group[i.regField];
        if (!sub) ud();
        r = sub;
      }
      if (r.forceReg) i.mod = 3;
      if (i.mod !== 3) this.memoryOperand(i, long);
      else if (r.memOnly) ud();
    }
    if (i.lock && (!r.lockable || i.ea === null)) ud();
    if (long && r.i64) ud();

    i.opsize = this.operandSize(r, long, codeBits, rexW, opsizePrefix);
    this.immediates(i, r);
    i.len = this.la - la;
    i.next = la + i.len;
    if (i.base === RIP_BASE) i.disp += i.next;
    i.mnemonic = r.m;
    i.ends = r.ends === true;
    i.emit = r.emit;
    i.exec = r.compile(i);
    return i;
  }

  private operandSize(r: Row, long: boolean, codeBits: number, rexW: boolean, opsizePrefix: boolean): number {
    if (r.byteOp) return 1;
    if (long) {
      if (rexW || r.f64) return 8;
      if (opsizePrefix) return 2;
      return r.d64 ? 8 : 4;
    }
    return (codeBits === 32) !== opsizePrefix ? 4 : 2;
  }

  private memoryOperand(i: Insn, long: boolean): void {
    const mod = i.mod, rm3 = i.modrm & 7;
    if (i.adsize === 2) {
      i.base = rm3 === 6 && mod === 0 ? -1 : RM16_BASE[rm3]!;
      i.index = RM16_INDEX[rm3]!;
      i.disp = mod === 1 ? this.int(1) : mod === 2 || (mod === 0 && rm3 === 6) ? this.int(2) : 0;
      i.seg = i.segOverride >= 0 ? i.segOverride : i.base === Reg.RBP ? Seg.SS : Seg.DS;
      i.ea = eaAddr16;
      return;
    }
    let base = -1, index = -1, ripRel = false;
    if (rm3 === 4) {
      const sib = this.byte();
      i.scale = sib >> 6;
      index = ((sib >> 3) & 7) | ((i.rex & 2) << 2);
      if (index === Reg.RSP) index = -1;
      base = (sib & 7) | ((i.rex & 1) << 3);
      if ((sib & 7) === 5 && mod === 0) base = -1;
    } else if (rm3 === 5 && mod === 0) {
      ripRel = long;
    } else {
      base = i.rm;
    }
    i.base = base;
    i.index = index;
    i.disp = mod === 1 ? this.int(1) : mod === 2 || (mod === 0 && (base === -1)) ? this.int(4) : 0;
    const stack = base === Reg.RSP || base === Reg.RBP;
    if (long) {
      i.seg = i.segOverride === Seg.FS || i.segOverride === Seg.GS ? i.segOverride : SEG_ZERO;
      if (i.adsize === 4) {
        if (ripRel) throw new Error('32-bit RIP-relative (EIP-relative) addressing is not supported');
        i.ea = eaAddr32In64;
      } else if (ripRel) {
        i.base = RIP_BASE;
        i.ea = eaAbs64;
      } else if (base >= 0) i.ea = index >= 0 ? eaBaseIndex64 : eaBase64;
      else i.ea = index >= 0 ? eaIndex64 : eaAbs64;
    } else {
      i.seg = i.segOverride >= 0 ? i.segOverride : stack ? Seg.SS : Seg.DS;
      i.ea = eaAddr32;
    }
  }

  private immediates(i: Insn, r: Row): void {
    switch (r.immKind) {
      case Imm.NONE: return;
      case Imm.B: i.imm = this.int(1); break;
      case Imm.W: i.imm = this.int(2) & 0xffff; break;
      case Imm.D: i.imm = this.int(4); break;
      case Imm.Z: i.imm = this.int(i.opsize === 2 ? 2 : 4); break;
      case Imm.V:
        if (i.opsize === 8) { i.imm = this.int(4); i.immHi = this.int(4); return; }
        i.imm = this.int(i.opsize === 2 ? 2 : 4);
        break;
      case Imm.WB: i.imm = this.int(2) & 0xffff; i.imm2 = this.int(1) & 0xff; return;
      case Imm.O:
        // moffs: an address of address-size width; kept as a linear offset in imm (+ immHi).
        if (i.adsize === 8) { i.imm = this.int(4); i.immHi = this.int(4); return; }
        i.imm = this.int(i.adsize) >>> 0;
        return;
      case Imm.P: i.imm = this.int(i.opsize === 2 ? 2 : 4); i.imm2 = this.int(2) & 0xffff; return;
    }
    i.immHi = i.imm >> 31;
  }
}
