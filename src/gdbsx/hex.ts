/**
 * Hex text as the GDB remote protocol writes it: memory and register contents
 * are pairs of hex digits, one pair per byte, in target byte order; addresses
 * and lengths are plain big-endian hex numbers without a `0x` prefix. We always
 * write lowercase (as gdb and gdbserver do) but accept either case, because the
 * manual does not forbid uppercase and some stubs and front ends send it.
 */

/** Why a hex string was refused. */
export const HexErrorReason = { ODD_LENGTH: 'odd-length', NON_HEX: 'non-hex', EMPTY: 'empty' } as const;
export type HexErrorReason = (typeof HexErrorReason)[keyof typeof HexErrorReason];

/**
 * Hex text from the peer that cannot be decoded. A packet handler turns this
 * into an `E..` reply rather than a dropped connection, so it is a typed error
 * carrying where the text went wrong.
 */
export class HexError extends Error {
  override readonly name = 'HexError';
  constructor(readonly reason: HexErrorReason, readonly offset: number, message: string) {
    super(message);
  }
}

const DIGITS = '0123456789abcdef';

/** Value of one ASCII hex digit, or -1 when the character code is not one. */
export function hexDigitValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20; // setting bit 5 lowercases ASCII letters, so one range covers A-F and a-f
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** Two lowercase hex digits per byte, first byte first. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += DIGITS[b >> 4]! + DIGITS[b & 0xf]!;
  return out;
}

/** Bytes from pairs of hex digits; throws {@link HexError} on odd length or a non-hex character. */
export function fromHex(text: string): Uint8Array {
  if (text.length % 2 !== 0) {
    throw new HexError(HexErrorReason.ODD_LENGTH, text.length, `hex text has odd length ${text.length}`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < text.length; i += 2) {
    const hi = hexDigitValue(text.charCodeAt(i));
    const lo = hexDigitValue(text.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) {
      const at = hi < 0 ? i : i + 1;
      throw new HexError(HexErrorReason.NON_HEX, at, `not a hex digit at offset ${at}: ${JSON.stringify(text[at])}`);
    }
    out[i / 2] = (hi << 4) | lo;
  }
  return out;
}

/**
 * `value` as `bytes` bytes of hex, least significant byte first: the order of
 * an x86 register in a `g` reply or a `P` packet. The value must fit unsigned;
 * a silently truncated register would show gdb a wrong value.
 */
export function hexLE(value: bigint, bytes: number): string {
  if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`byte count must be a non-negative integer, got ${bytes}`);
  if (value < 0n || value >> BigInt(8 * bytes) !== 0n) {
    throw new RangeError(`0x${value.toString(16)} does not fit in ${bytes} unsigned byte(s)`);
  }
  let out = '';
  let rest = value;
  for (let i = 0; i < bytes; i++) {
    const b = Number(rest & 0xffn);
    out += DIGITS[b >> 4]! + DIGITS[b & 0xf]!;
    rest >>= 8n;
  }
  return out;
}

/** The inverse of {@link hexLE}: little-endian hex bytes (as in `G` and `P` packets) to a number. */
export function parseHexLE(text: string): bigint {
  const bytes = fromHex(text);
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

/**
 * A big-endian hex number as in `m addr,length` or `Z0,addr,kind`: any number
 * of digits (addresses are not zero-padded), no prefix, no sign. Empty text is
 * refused because `BigInt('0x')` would be a syntax error anyway and an empty
 * field is always a malformed packet.
 */
export function parseHexBigInt(text: string): bigint {
  if (text.length === 0) throw new HexError(HexErrorReason.EMPTY, 0, 'empty hex number');
  for (let i = 0; i < text.length; i++) {
    if (hexDigitValue(text.charCodeAt(i)) < 0) {
      throw new HexError(HexErrorReason.NON_HEX, i, `not a hex digit at offset ${i}: ${JSON.stringify(text[i])}`);
    }
  }
  return BigInt(`0x${text}`);
}
