/**
 * The vector generators and their encoder: encodings checked against GNU as,
 * generation checked for reproducibility, and generated vectors checked to
 * run natively the way their forms intend.
 */
import assert from 'node:assert/strict';
import {
  alu, aluImm, aluImm8, aluLoad, Reg, shift1, shiftCl, shiftImm, unary, type Width,
} from './encode.js';
import { Exc, OF, CF, AF, STATUS_FLAGS, runNative } from './native.js';
import { undefinedFlags } from './undefined-flags.js';
import { genBinary, genShift, genUnary, shiftCounts } from './vectors.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const WIDTHS: Width[] = [8, 16, 32, 64];

describe('oracle vectors', () => {
  describe('encoder', () => {
    // Expected bytes from `as` + `objdump -d -M intel`.
    const cases: [string, Uint8Array, string][] = [
      ['add rax, rbx', alu('add', 64, { reg: Reg.RAX }, Reg.RBX), '4801d8'],
      ['add sil, dil', alu('add', 8, { reg: Reg.RSI }, Reg.RDI), '4000fe'],
      ['xor r8d, r9d', alu('xor', 32, { reg: Reg.R8 }, Reg.R9), '4531c8'],
      ['sub word [0x10000000], cx', alu('sub', 16, { mem: 0x10000000 }, Reg.RCX), '66290c2500000010'],
      ['cmp r15, [0x10000004]', aluLoad('cmp', 64, Reg.R15, { mem: 0x10000004 }), '4c3b3c2504000010'],
      ['and rax, -0x80 (imm32)', aluImm('and', 64, { reg: Reg.RAX }, 0xffffff80n), '4881e080ffffff'],
      ['or bl, 0x7f', aluImm('or', 8, { reg: Reg.RBX }, 0x7fn), '80cb7f'],
      ['adc dx, -1 (imm8)', aluImm8('adc', 16, { reg: Reg.RDX }, 0xffn), '6683d2ff'],
      ['sar r12, cl', shiftCl('sar', 64, { reg: Reg.R12 }), '49d3fc'],
      ['rcl bpl, 1', shift1('rcl', 8, { reg: Reg.RBP }), '40d0d5'],
      ['shl dword [0x10000000], 3', shiftImm('shl', 32, { mem: 0x10000000 }, 3), 'c124250000001003'],
      ['idiv r10', unary('idiv', 64, { reg: Reg.R10 }), '49f7fa'],
      ['mul bl', unary('mul', 8, { reg: Reg.RBX }), 'f6e3'],
    ];
    for (const [asm, bytes, expected] of cases) {
      it(asm, () => assert.equal(hex(bytes), expected));
    }

    it('refuses addresses that a disp32 would sign-extend elsewhere', () => {
      assert.throws(() => alu('add', 32, { mem: 0x80000000 }, Reg.RAX), RangeError);
    });
  });

  describe('generators', () => {
    it('are reproducible from the seed, and streams are independent', () => {
      const fingerprint = (vs: { code: Uint8Array; regs: bigint[]; data: Uint8Array }[]): string =>
        vs.map((v) => hex(v.code) + v.regs.join() + hex(v.data)).join('|');
      const a = fingerprint(genBinary('add', 32, { seed: 7 }));
      genBinary('sub', 32, { seed: 7 });
      assert.equal(fingerprint(genBinary('add', 32, { seed: 7 })), a);
      assert.notEqual(fingerprint(genBinary('add', 32, { seed: 8 })), a);
      assert.notEqual(fingerprint(genBinary('adc', 32, { seed: 7 })), a);
    });

    it('make a few hundred vectors per form', () => {
      assert.equal(genBinary('add', 8).length, 4 * 200);
      assert.equal(genBinary('add', 64).length, 5 * 200);
      assert.equal(genShift('rcl', 16, { count: 10 }).length, 4 * 10);
    });

    it('cover the shift-count boundaries', () => {
      assert.deepEqual(shiftCounts(8), [0, 1, 2, 7, 8, 9, 31, 32, 33, 63, 64, 65, 255]);
      assert.deepEqual(shiftCounts(64), [0, 1, 2, 31, 32, 33, 63, 64, 65, 255]);
    });

    it('produce vectors that run natively without faulting', () => {
      for (const w of WIDTHS) {
        const vs = [...genBinary('xor', w, { count: 50 }), ...genShift('sar', w, { count: 50 })];
        const bad = runNative(vs).findIndex((o) => o.fault !== null);
        assert.equal(bad, -1, bad < 0 ? '' : vs[bad].name);
      }
    });

    it('divide both with and without #DE', () => {
      for (const w of WIDTHS) {
        const faults = runNative(genUnary('div', w, { count: 100 })).map((o) => o.fault);
        assert.ok(faults.includes(null) && faults.includes(Exc.DE), `div${w}: ${[...new Set(faults)].join()}`);
        assert.ok(faults.every((f) => f === null || f === Exc.DE));
      }
    });
  });

  describe('undefined flags', () => {
    it('depend on the masked shift count', () => {
      assert.equal(undefinedFlags('shl', 64, 0), 0);
      assert.equal(undefinedFlags('shl', 64, 64), 0); // masked to 0
      assert.equal(undefinedFlags('shl', 32, 1), AF);
      assert.equal(undefinedFlags('shr', 8, 8), AF | OF | CF);
      assert.equal(undefinedFlags('sar', 8, 8), AF | OF);
      assert.equal(undefinedFlags('rol', 8, 9), OF);
      assert.equal(undefinedFlags('shld', 16, 17), STATUS_FLAGS);
    });

    it('are asked for, not assumed, for unknown instructions', () => {
      assert.throws(() => undefinedFlags('frobnicate', 32), /no entry/);
    });
  });
});
