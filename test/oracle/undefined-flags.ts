/**
 * The status flags the Intel SDM calls undefined after an instruction. A
 * differential test masks these out before comparing the emulator with the
 * CPU: real CPUs differ there, and the emulator may leave whatever it likes.
 *
 * Masks are minimal. A flag is listed only where the "Flags Affected" section
 * of the instruction's page in SDM Vol. 2 says undefined; "unaffected" is
 * defined behaviour and gets compared. Instructions whose flags are all
 * defined are listed with 0, so that a missing entry is a question rather
 * than a silent "compare everything". Instructions invalid in 64-bit mode
 * (AAA, AAD, AAM, AAS, DAA, DAS) are left out.
 */
import type { Width } from './encode.js';
import { AF, CF, OF, PF, SF, STATUS_FLAGS, ZF } from './native.js';

/** A fixed mask, or one that depends on the operand width and the raw count operand. */
type Rule = number | ((width: Width, count: number) => number);

/** The count a shift or rotate acts on: the low 6 bits for 64-bit operands, else the low 5. */
export function maskedCount(width: Width, count: number): number {
  return count & (width === 64 ? 0x3f : 0x1f);
}

/**
 * "SAL/SAR/SHL/SHR—Shift": "If the count is 0, the flags are not affected.
 * ... The OF flag is affected only for 1-bit shifts; otherwise, it is
 * undefined. ... For a non-zero count, the AF flag is undefined." CF "is
 * undefined for SHL and SHR instructions where the count is greater than or
 * equal to the size (in bits) of the destination operand" (reachable with 8-
 * and 16-bit operands, whose counts are masked to 5 bits).
 */
const shift = (cfPastWidth: boolean): Rule => (width, count) => {
  const n = maskedCount(width, count);
  if (n === 0) return 0;
  return AF | (n > 1 ? OF : 0) | (cfPastWidth && n >= width ? CF : 0);
};

/**
 * "RCL/RCR/ROL/ROR—Rotate": "If the masked count is 0, the flags are not
 * affected. If the masked count is 1, then the OF flag is affected, otherwise
 * (masked count is greater than 1) the OF flag is undefined." SF ZF AF PF are
 * unaffected. (The ROL/ROR pseudocode would leave OF undefined for a zero
 * count as well; the Flags Affected text, which hardware follows, does not.)
 */
const rotate: Rule = (width, count) => (maskedCount(width, count) > 1 ? OF : 0);

/**
 * "SHLD—Double Precision Shift Left", "SHRD—Double Precision Shift Right":
 * "For shifts greater than 1 bit, the OF flag is undefined. If a shift
 * occurs, the AF flag is undefined. If the count operand is 0, the flags are
 * not affected. If the count is greater than the operand size, the flags are
 * undefined" (16-bit operands only; the result is undefined then too).
 */
const doubleShift: Rule = (width, count) => {
  const n = maskedCount(width, count);
  if (n === 0) return 0;
  if (n > width) return STATUS_FLAGS;
  return AF | (n > 1 ? OF : 0);
};

const BIT_TEST = OF | SF | AF | PF;
const BIT_SCAN = CF | OF | SF | AF | PF;

/** By mnemonic, citing the page titles of SDM Vol. 2 and their Flags Affected sections. */
export const UNDEFINED_FLAGS: Readonly<Record<string, Rule>> = {
  // "ADD—Add", "ADC—Add With Carry", "SUB—Subtract", "SBB—Integer Subtraction With Borrow",
  // "CMP—Compare Two Operands", "XADD—Exchange and Add", "CMPXCHG—Compare and Exchange":
  // all six set according to the result.
  add: 0, adc: 0, sub: 0, sbb: 0, cmp: 0, xadd: 0, cmpxchg: 0,
  // "NEG—Two's Complement Negation": CF = source != 0, the rest by the result.
  neg: 0,
  // "INC—Increment by 1", "DEC—Decrement by 1": "The CF flag is not affected."
  inc: 0, dec: 0,
  // "NOT—One's Complement Negation": "None."
  not: 0,
  // "POPCNT—Return the Count of Number of Bits Set to 1": five cleared, ZF by the source.
  popcnt: 0,
  // "AND—Logical AND", "OR—Logical Inclusive OR", "XOR—Logical Exclusive OR",
  // "TEST—Logical Compare": "The state of the AF flag is undefined."
  and: AF, or: AF, xor: AF, test: AF,
  sal: shift(true), shl: shift(true), shr: shift(true), sar: shift(false),
  rol: rotate, ror: rotate, rcl: rotate, rcr: rotate,
  shld: doubleShift, shrd: doubleShift,
  // "MUL—Unsigned Multiply", "IMUL—Signed Multiply": "The SF, ZF, AF, and PF flags are undefined."
  mul: SF | ZF | AF | PF, imul: SF | ZF | AF | PF,
  // "DIV—Unsigned Divide", "IDIV—Signed Divide": "The CF, OF, SF, ZF, AF, and PF flags are undefined."
  div: STATUS_FLAGS, idiv: STATUS_FLAGS,
  // "BSF—Bit Scan Forward", "BSR—Bit Scan Reverse": "The CF, OF, SF, AF, and PF flags are undefined."
  bsf: BIT_SCAN, bsr: BIT_SCAN,
  // "BT—Bit Test", "BTC—Bit Test and Complement", "BTR—Bit Test and Reset", "BTS—Bit Test and Set":
  // "The ZF flag is unaffected. The OF, SF, AF, and PF flags are undefined."
  bt: BIT_TEST, btc: BIT_TEST, btr: BIT_TEST, bts: BIT_TEST,
  // "LZCNT—Count the Number of Leading Zero Bits", "TZCNT—Count the Number of Trailing Zero Bits":
  // "OF, SF, PF and AF flags are undefined."
  lzcnt: OF | SF | PF | AF, tzcnt: OF | SF | PF | AF,
  // "ANDN—Logical AND NOT", "BLSI—Extract Lowest Set Isolated Bit", "BLSMSK—Get Mask Up to
  // Lowest Set Bit", "BLSR—Reset Lowest Set Bit", "BZHI—Zero High Bits Starting with Specified
  // Bit Position": "AF and PF flags are undefined."
  andn: AF | PF, blsi: AF | PF, blsmsk: AF | PF, blsr: AF | PF, bzhi: AF | PF,
  // "BEXTR—Bit Field Extract": "AF, SF, and PF are undefined."
  bextr: AF | SF | PF,
};

/** The undefined status flags after `mnemonic` on `width`-bit operands (count: the raw shift count). */
export function undefinedFlags(mnemonic: string, width: Width, count = 0): number {
  const rule = UNDEFINED_FLAGS[mnemonic];
  if (rule === undefined) throw new Error(`undefined-flags: no entry for '${mnemonic}'`);
  return typeof rule === 'number' ? rule : rule(width, count);
}
