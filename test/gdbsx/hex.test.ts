/**
 * Hex helpers of the gdbsx bridge: byte strings, little-endian registers (the
 * `g`/`G`/`p`/`P` packet order) and big-endian numbers (addresses, lengths).
 */
import assert from 'node:assert/strict';
import { fromHex, HexError, hexLE, parseHexBigInt, parseHexLE, toHex } from '../../src/gdbsx/hex.js';

function hexError(reason: string, offset: number) {
  return (e: unknown) => e instanceof HexError && e.reason === reason && e.offset === offset;
}

describe('gdbsx hex', () => {
  describe('toHex / fromHex', () => {
    it('writes two lowercase digits per byte, first byte first', () => {
      assert.equal(toHex(Uint8Array.of(0x00, 0x0f, 0xa0, 0xff, 0x7d)), '000fa0ff7d');
      assert.equal(toHex(new Uint8Array(0)), '');
    });

    it('round-trips every byte value', () => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const text = toHex(all);
      assert.equal(text.length, 512);
      assert.equal(text.slice(0, 8), '00010203');
      assert.equal(text.slice(-4), 'feff');
      assert.deepEqual(fromHex(text), all);
    });

    it('accepts uppercase digits', () => {
      assert.deepEqual(fromHex('DEADbeef'), Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
    });

    it('refuses odd length with a typed error', () => {
      assert.throws(() => fromHex('abc'), hexError('odd-length', 3));
    });

    it('refuses non-hex characters and says where', () => {
      assert.throws(() => fromHex('00g0'), hexError('non-hex', 2));
      assert.throws(() => fromHex('000x'), hexError('non-hex', 3));
      assert.throws(() => fromHex('@0'), hexError('non-hex', 0)); // '@' is one below 'A'
      assert.throws(() => fromHex('0G'), hexError('non-hex', 1)); // 'G' is one past 'F'
      assert.throws(() => fromHex(' 1'), hexError('non-hex', 0));
    });
  });

  describe('hexLE', () => {
    it('writes registers least significant byte first', () => {
      assert.equal(hexLE(0x1122334455667788n, 8), '8877665544332211');
      assert.equal(hexLE(0xffffffff80001000n, 8), '00100080ffffffff');
      assert.equal(hexLE(0x202n, 4), '02020000');
      assert.equal(hexLE(0n, 2), '0000');
      assert.equal(hexLE(0n, 0), '');
    });

    it('refuses values that do not fit rather than truncating', () => {
      assert.throws(() => hexLE(0x10000n, 2), RangeError);
      assert.throws(() => hexLE(-1n, 8), RangeError);
      assert.throws(() => hexLE(1n, -1), RangeError);
      assert.throws(() => hexLE(1n, 1.5), RangeError);
      assert.equal(hexLE(0xffffn, 2), 'ffff');
    });

    it('round-trips through parseHexLE', () => {
      for (const v of [0n, 1n, 0x80n, 0xdeadbeefn, 0xffffffffffffffffn, 0x0123456789abcdef_fedcba9876543210n]) {
        assert.equal(parseHexLE(hexLE(v, 16)), v);
      }
      assert.equal(parseHexLE('78563412'), 0x12345678n);
      assert.equal(parseHexLE(''), 0n);
    });
  });

  describe('parseHexBigInt', () => {
    it('reads big-endian hex numbers of any length', () => {
      assert.equal(parseHexBigInt('0'), 0n);
      assert.equal(parseHexBigInt('7fffffffe000'), 0x7fffffffe000n);
      assert.equal(parseHexBigInt('FFFFFFFF80001000'), 0xffffffff80001000n);
      assert.equal(parseHexBigInt('00000040'), 0x40n);
      assert.equal(parseHexBigInt('1'.repeat(40)), BigInt(`0x${'1'.repeat(40)}`));
    });

    it('refuses empty text, prefixes, signs and stray characters', () => {
      assert.throws(() => parseHexBigInt(''), hexError('empty', 0));
      assert.throws(() => parseHexBigInt('0x10'), hexError('non-hex', 1));
      assert.throws(() => parseHexBigInt('-1'), hexError('non-hex', 0));
      assert.throws(() => parseHexBigInt('12,40'), hexError('non-hex', 2));
      assert.throws(() => parseHexBigInt('1 '), hexError('non-hex', 1));
    });
  });
});
