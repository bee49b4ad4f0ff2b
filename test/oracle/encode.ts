/**
 * Just enough of an x86-64 encoder to build test vectors: one ModRM operand
 * that is a register or an absolute address, the other a register, an opcode
 * extension or an immediate. Layout per SDM Vol. 2A ch. 2:
 * [66] [REX] opcode ModRM [SIB disp32] [imm].
 */

export type Width = 8 | 16 | 32 | 64;

/** General registers in encoding order (SDM Vol. 2A §2.1.5). */
export const Reg = {
  RAX: 0, RCX: 1, RDX: 2, RBX: 3, RSP: 4, RBP: 5, RSI: 6, RDI: 7,
  R8: 8, R9: 9, R10: 10, R11: 11, R12: 12, R13: 13, R14: 14, R15: 15,
} as const;

/** The r/m operand: a register, or memory at an absolute address that fits a sign-extended disp32. */
export type RM = { reg: number } | { mem: number };
/** ModRM.reg: a register, or the opcode extension the SDM writes "/digit". */
export type RegField = { reg: number } | { digit: number };
export interface Imm { value: bigint; size: 1 | 2 | 4 }

/** Group-1 ALU operations; the index is both the /digit and opcode >> 3. */
export const ALU_OPS = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'] as const;
export type AluOp = (typeof ALU_OPS)[number];

/** Group-2 shifts and rotates by /digit (SAL is SHL; /6 is an undocumented alias, left out). */
export const SHIFT_OPS = { rol: 0, ror: 1, rcl: 2, rcr: 3, shl: 4, shr: 5, sar: 7 } as const;
export type ShiftOp = keyof typeof SHIFT_OPS;

/** Group-3 one-operand operations by /digit (/0 and /1 are TEST with an immediate). */
export const UNARY_OPS = { not: 2, neg: 3, mul: 4, imul: 5, div: 6, idiv: 7 } as const;
export type UnaryOp = keyof typeof UNARY_OPS;

/** Encode one instruction. `opcode` is given exactly: the 8-bit/wider choice is the caller's. */
export function encode(width: Width, opcode: readonly number[], field: RegField, rm: RM, imm?: Imm): Uint8Array {
  const r = 'reg' in field ? field.reg : field.digit;
  const b = 'reg' in rm ? rm.reg : 0;
  const out: number[] = [];
  if (width === 16) out.push(0x66);
  const rex = (width === 64 ? 8 : 0) | ((r >> 3) << 2) | (b >> 3);
  // Byte registers 4-7 are SPL..DIL only under a REX prefix; without one they are AH..BH.
  const lowByteOf4to7 = width === 8 && (('reg' in field && (r & 12) === 4) || ('reg' in rm && (b & 12) === 4));
  if (rex || lowByteOf4to7) out.push(0x40 | rex);
  out.push(...opcode);
  if ('reg' in rm) {
    out.push(0xc0 | ((r & 7) << 3) | (b & 7));
  } else {
    // mod=00 rm=100 with SIB base=101 index=100: [disp32], no base, no index and no RIP.
    if (rm.mem !== (rm.mem | 0)) throw new RangeError(`address ${rm.mem} does not fit a sign-extended disp32`);
    out.push(((r & 7) << 3) | 4, 0x25, ...le(BigInt(rm.mem), 4));
  }
  if (imm) out.push(...le(imm.value, imm.size));
  return Uint8Array.from(out);
}

/** The low `size` bytes of x, little-endian. */
export function le(x: bigint, size: number): number[] {
  return Array.from({ length: size }, (_, i) => Number((x >> BigInt(8 * i)) & 0xffn));
}

/** Opcodes come in pairs: the even one for 8-bit operands, the odd one for 16/32/64. */
const sized = (opcode: number, width: Width): number => (width === 8 ? opcode : opcode + 1);
/** Immediates are at most 32 bits; 64-bit operations sign-extend them. */
const immSize = (width: Width): 1 | 2 | 4 => (width === 8 ? 1 : width === 16 ? 2 : 4);

/** op r/m, reg: e.g. alu('add', 64, { reg: Reg.RAX }, Reg.RBX) is add rax, rbx (48 01 d8). */
export function alu(op: AluOp, width: Width, dst: RM, src: number): Uint8Array {
  return encode(width, [sized(8 * ALU_OPS.indexOf(op), width)], { reg: src }, dst);
}

/** op reg, r/m: the direction-bit form (opcode + 2). */
export function aluLoad(op: AluOp, width: Width, dst: number, src: RM): Uint8Array {
  return encode(width, [sized(8 * ALU_OPS.indexOf(op) + 2, width)], { reg: dst }, src);
}

/** op r/m, imm: 80 /op ib, or 81 /op iw/id. */
export function aluImm(op: AluOp, width: Width, dst: RM, imm: bigint): Uint8Array {
  return encode(width, [sized(0x80, width)], { digit: ALU_OPS.indexOf(op) }, dst, { value: imm, size: immSize(width) });
}

/** op r/m, imm8 sign-extended to the operand width: 83 /op ib (16/32/64 only). */
export function aluImm8(op: AluOp, width: Exclude<Width, 8>, dst: RM, imm: bigint): Uint8Array {
  return encode(width, [0x83], { digit: ALU_OPS.indexOf(op) }, dst, { value: imm, size: 1 });
}

/** Shift r/m by CL: D2/D3 /op. */
export function shiftCl(op: ShiftOp, width: Width, dst: RM): Uint8Array {
  return encode(width, [sized(0xd2, width)], { digit: SHIFT_OPS[op] }, dst);
}

/** Shift r/m by the implicit 1: D0/D1 /op. */
export function shift1(op: ShiftOp, width: Width, dst: RM): Uint8Array {
  return encode(width, [sized(0xd0, width)], { digit: SHIFT_OPS[op] }, dst);
}

/** Shift r/m by imm8: C0/C1 /op ib. */
export function shiftImm(op: ShiftOp, width: Width, dst: RM, count: number): Uint8Array {
  return encode(width, [sized(0xc0, width)], { digit: SHIFT_OPS[op] }, dst, { value: BigInt(count), size: 1 });
}

/** not/neg/mul/imul/div/idiv r/m: F6/F7 /op (mul..idiv use rAX and rDX implicitly). */
export function unary(op: UnaryOp, width: Width, operand: RM): Uint8Array {
  return encode(width, [sized(0xf6, width)], { digit: UNARY_OPS[op] }, operand);
}
