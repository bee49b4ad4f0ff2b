/**
 * String instructions: MOVS/CMPS/STOS/LODS/SCAS, their REP forms, the
 * page-run fast paths against an element-by-element model, restartable faults
 * and self-modifying stores.
 */
import assert from 'node:assert/strict';
import { StopReason } from '../../../src/hypervisor/cpu/cpu.js';
import { Flag, Reg, Seg } from '../../../src/hypervisor/cpu/regs.js';
import { assembleMany } from '../../support/asm.js';
import { getReg, runCode, setReg, testMachine, type TestMachine } from '../../support/machine.js';

const CODE = 0x100000;
/** A 128 KiB scratch window, identity mapped; string operands start near its middle. */
const WIN = 0x400000, WIN_SIZE = 0x20000, MID = WIN + 0x10000;
const STATUS = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF;

const SNIPPETS = {
  movs1: 'rep movsb; hlt', movs2: 'rep movsw; hlt', movs4: 'rep movsd; hlt', movs8: 'rep movsq; hlt',
  stos1: 'rep stosb; hlt', stos2: 'rep stosw; hlt', stos4: 'rep stosd; hlt', stos8: 'rep stosq; hlt',
  movsbOnce: 'movsb; hlt',
  cmpsbRepe: 'repe cmpsb; hlt', cmpsbRepne: 'repne cmpsb; hlt', cmpsqRepe: 'repe cmpsq; hlt',
  strlen: 'xor eax, eax; mov rcx, -1; repne scasb; not rcx; dec rcx; hlt',
  scasw: 'scasw; hlt',
  lodsb: 'rep lodsb; hlt', lodsd: 'lodsd; hlt',
  movsAddr32: 'rep movs byte ptr es:[edi], byte ptr [esi]; hlt',
  stosAddr32: 'rep stos byte ptr es:[edi], al; hlt',
  movsFs: 'rep movs byte ptr es:[rdi], byte ptr fs:[rsi]; hlt',
  smc: 'lea rdi, [rip + 1f]; mov al, 0xf4; mov ecx, 3; rep stosb; 1: inc rdx; hlt',
  smcAddr32: 'lea edi, [rip + 1f]; mov al, 0xf4; mov ecx, 3; rep stos byte ptr es:[edi], al; 1: inc rdx; hlt',
};
type Name = keyof typeof SNIPPETS;
let code: Record<Name, Uint8Array>;

/** Run a snippet with the given registers and DF; returns the machine. */
function run(m: TestMachine, name: Name, regs: Partial<Record<number, bigint>>, df = false, flags = 0): TestMachine {
  for (const [r, v] of Object.entries(regs)) setReg(m.cpu, Number(r), v!);
  m.cpu.setRflags(flags | (df ? Flag.DF : 0));
  runCode(m, code[name], CODE);
  return m;
}

const reg = (m: TestMachine, r: number): bigint => getReg(m.cpu, r);
const big = (x: number): bigint => BigInt(x);

/** Deterministic filler (xorshift), so failures reproduce. */
function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let k = 0; k < n; k++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; out[k] = x & 0xff; }
  return out;
}

/** The architectural definition, one element at a time (SDM Vol. 2 "MOVS" operation). */
function modelMovs(mem: Uint8Array, src: number, dst: number, count: number, size: number, down: boolean): void {
  const step = down ? -size : size;
  for (let k = 0; k < count; k++, src += step, dst += step) mem.copyWithin(dst, src, src + size);
}

function modelStos(mem: Uint8Array, dst: number, count: number, size: number, down: boolean, value: Uint8Array): void {
  for (let k = 0; k < count; k++, dst += down ? -size : size) mem.set(value.subarray(0, size), dst);
}

describe('string instructions', () => {
  before(function () {
    this.timeout(30_000);
    const names = Object.keys(SNIPPETS) as Name[];
    const bytes = assembleMany(names.map((n) => SNIPPETS[n]));
    code = Object.fromEntries(names.map((n, k) => [n, bytes[k]!])) as Record<Name, Uint8Array>;
  });

  describe('REP MOVS against the element-by-element model', () => {
    it('agrees for every size, direction, overlap, count and page position', () => {
      const m = testMachine();
      const gaps = [-9000, -4097, -13, -8, -5, -3, -1, 0, 1, 3, 5, 8, 13, 4096, 9000];
      const counts = [0, 1, 7, 1000, 3001];
      const offsets = [0, 3, 0xffd]; // page-aligned, misaligned, and straddling the next page
      const noise = pattern(WIN_SIZE + 4096, 1);
      let runs = 0;
      for (const size of [1, 2, 4, 8]) {
        for (const down of [false, true]) {
          for (const gap of gaps) {
            for (const count of counts) {
              for (const off of offsets) {
                const src = MID + off, dst = src + gap;
                const init = noise.slice(++runs % 4096, (runs % 4096) + WIN_SIZE);
                m.mem.writeBytes(WIN, init);
                const expected = init.slice();
                modelMovs(expected, src - WIN, dst - WIN, count, size, down);
                run(m, `movs${size}` as Name, { [Reg.RSI]: big(src), [Reg.RDI]: big(dst), [Reg.RCX]: big(count) }, down);
                const what = `size ${size} ${down ? 'down' : 'up'} gap ${gap} count ${count} offset ${off}`;
                assert.equal(m.cpu.stopReason, StopReason.HALT, what);
                assert.ok(Buffer.from(m.mem.bytes.subarray(WIN, WIN + WIN_SIZE)).equals(expected), what);
                const moved = big((down ? -1 : 1) * count * size);
                assert.equal(reg(m, Reg.RSI), big(src) + moved, what);
                assert.equal(reg(m, Reg.RDI), big(dst) + moved, what);
                assert.equal(reg(m, Reg.RCX), 0n, what);
              }
            }
          }
        }
      }
    });

    it('replicates a pattern when the destination runs just ahead of the source', () => {
      const m = testMachine();
      m.mem.writeBytes(MID, Uint8Array.from([1, 2, 3]));
      run(m, 'movs1', { [Reg.RSI]: big(MID), [Reg.RDI]: big(MID + 3), [Reg.RCX]: 9000n });
      const out = m.mem.bytes.subarray(MID, MID + 9003);
      assert.ok(out.every((b, k) => b === (k % 3) + 1));
    });
  });

  describe('REP STOS', () => {
    it('agrees with the model for every size, direction and page position', () => {
      const m = testMachine();
      const rax = 0x8877665544332211n, value = Uint8Array.from([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
      for (const size of [1, 2, 4, 8]) {
        for (const down of [false, true]) {
          for (const count of [1, 5, 513, 2000]) {
            for (const off of [0, 1, 0xffc]) {
              const dst = MID + off;
              m.mem.bytes.fill(0xee, WIN, WIN + WIN_SIZE);
              const expected = m.mem.bytes.slice(WIN, WIN + WIN_SIZE);
              modelStos(expected, dst - WIN, count, size, down, value);
              run(m, `stos${size}` as Name, { [Reg.RAX]: rax, [Reg.RDI]: big(dst), [Reg.RCX]: big(count) }, down);
              const what = `size ${size} ${down ? 'down' : 'up'} count ${count} offset ${off}`;
              assert.ok(Buffer.from(m.mem.bytes.subarray(WIN, WIN + WIN_SIZE)).equals(expected), what);
              assert.equal(reg(m, Reg.RDI), big(dst + (down ? -1 : 1) * count * size), what);
              assert.equal(reg(m, Reg.RCX), 0n, what);
            }
          }
        }
      }
    });

    it('does nothing at all with RCX = 0', () => {
      const m = testMachine();
      m.mem.bytes.fill(0x5a, MID, MID + 16);
      run(m, 'stos1', { [Reg.RAX]: 0n, [Reg.RDI]: big(MID), [Reg.RCX]: 0n }, false, Flag.CF | Flag.ZF);
      assert.equal(m.cpu.stopReason, StopReason.HALT);
      assert.ok(m.mem.bytes.subarray(MID, MID + 16).every((b) => b === 0x5a));
      assert.equal(reg(m, Reg.RDI), big(MID));
      assert.equal(reg(m, Reg.RCX), 0n);
      assert.equal(m.cpu.getRflags() & STATUS, Flag.CF | Flag.ZF);
    });
  });

  describe('CMPS and SCAS', () => {
    const A = MID, B = MID + 0x100;
    const text = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0));

    it('REPE CMPSB stops after the first difference with its flags', () => {
      const m = testMachine();
      m.mem.writeBytes(A, text('abcdefgh'));
      m.mem.writeBytes(B, text('abcdzfgh'));
      run(m, 'cmpsbRepe', { [Reg.RSI]: big(A), [Reg.RDI]: big(B), [Reg.RCX]: 8n });
      assert.equal(reg(m, Reg.RSI), big(A + 5));
      assert.equal(reg(m, Reg.RDI), big(B + 5));
      assert.equal(reg(m, Reg.RCX), 3n);
      // 'e' - 'z' = 0x65 - 0x7a = 0xeb: borrow, sign, nibble borrow, even parity.
      assert.equal(m.cpu.getRflags() & STATUS, Flag.CF | Flag.SF | Flag.AF | Flag.PF);
    });

    it('REPE CMPSB over equal strings runs out the count with ZF = 1', () => {
      const m = testMachine();
      m.mem.writeBytes(A, text('same'));
      m.mem.writeBytes(B, text('same'));
      run(m, 'cmpsbRepe', { [Reg.RSI]: big(A), [Reg.RDI]: big(B), [Reg.RCX]: 4n });
      assert.equal(reg(m, Reg.RCX), 0n);
      assert.equal(reg(m, Reg.RSI), big(A + 4));
      assert.equal(m.cpu.getRflags() & STATUS, Flag.ZF | Flag.PF);
    });

    it('REPNE CMPSB stops at the first equal pair; REPE CMPSQ compares whole quadwords, backwards', () => {
      const m = testMachine();
      m.mem.writeBytes(A, text('xyzQ'));
      m.mem.writeBytes(B, text('abcQ'));
      run(m, 'cmpsbRepne', { [Reg.RSI]: big(A), [Reg.RDI]: big(B), [Reg.RCX]: 10n });
      assert.equal(reg(m, Reg.RCX), 6n);
      assert.equal(reg(m, Reg.RSI), big(A + 4));
      assert.equal(m.cpu.getRflags() & Flag.ZF, Flag.ZF);

      const q = (x: bigint): Uint8Array => Uint8Array.from({ length: 8 }, (_, k) => Number((x >> BigInt(8 * k)) & 0xffn));
      m.mem.writeBytes(A, q(0x8000000000000000n)); m.mem.writeBytes(A + 8, q(7n));
      m.mem.writeBytes(B, q(1n)); m.mem.writeBytes(B + 8, q(7n));
      run(m, 'cmpsqRepe', { [Reg.RSI]: big(A + 8), [Reg.RDI]: big(B + 8), [Reg.RCX]: 5n }, true);
      assert.equal(reg(m, Reg.RCX), 3n);
      assert.equal(reg(m, Reg.RSI), big(A - 8));
      // 0x8000000000000000 - 1 overflows to positive.
      assert.equal(m.cpu.getRflags() & STATUS, Flag.OF | Flag.AF | Flag.PF);
    });

    it('REPNE SCASB measures a string (the strlen idiom)', () => {
      const m = testMachine();
      m.mem.writeBytes(A, text('hello, world\0'));
      run(m, 'strlen', { [Reg.RDI]: big(A) });
      assert.equal(reg(m, Reg.RCX), 12n);
      assert.equal(reg(m, Reg.RDI), big(A + 13));
    });

    it('SCASW compares AX with the destination', () => {
      const m = testMachine();
      m.mem.writeBytes(A, Uint8Array.from([0x34, 0x12]));
      run(m, 'scasw', { [Reg.RAX]: 0xffff_ffff_ffff_1234n, [Reg.RDI]: big(A) });
      assert.equal(m.cpu.getRflags() & Flag.ZF, Flag.ZF);
      assert.equal(reg(m, Reg.RDI), big(A + 2));
    });
  });

  describe('LODS', () => {
    it('REP LODSB leaves the last element in AL; LODSD zero-extends into RAX', () => {
      const m = testMachine();
      m.mem.writeBytes(MID, Uint8Array.from([1, 2, 3, 4, 0xfe, 0xff, 0xff, 0xff]));
      run(m, 'lodsb', { [Reg.RAX]: 0x1111_1111_1111_1111n, [Reg.RSI]: big(MID), [Reg.RCX]: 5n });
      assert.equal(reg(m, Reg.RAX), 0x1111_1111_1111_11fen);
      assert.equal(reg(m, Reg.RSI), big(MID + 5));
      run(m, 'lodsd', { [Reg.RSI]: big(MID + 4) });
      assert.equal(reg(m, Reg.RAX), 0xffff_fffen);
    });
  });

  describe('address size, segments and prefixes', () => {
    it('67: ESI/EDI/ECX, zero-extended when written, and RCX kept when ECX = 0', () => {
      const m = testMachine();
      m.mem.writeBytes(MID, Uint8Array.from([9, 8, 7]));
      run(m, 'movsAddr32', { [Reg.RSI]: 0xdead_0000_0000_0000n + big(MID), [Reg.RDI]: 0xbeef_0000_0000_0000n + big(MID + 16), [Reg.RCX]: 0x1_0000_0003n });
      assert.deepEqual([...m.mem.bytes.subarray(MID + 16, MID + 19)], [9, 8, 7]);
      assert.equal(reg(m, Reg.RSI), big(MID + 3));
      assert.equal(reg(m, Reg.RDI), big(MID + 19));
      assert.equal(reg(m, Reg.RCX), 0n);
      run(m, 'movsAddr32', { [Reg.RSI]: 0xdead_0000_0000_0000n, [Reg.RCX]: 0x7_0000_0000n });
      assert.equal(reg(m, Reg.RCX), 0x7_0000_0000n);
      assert.equal(reg(m, Reg.RSI), 0xdead_0000_0000_0000n);
    });

    it('adds the FS base to the source only', () => {
      const m = testMachine();
      m.cpu.setSegBase(Seg.FS, MID);
      m.mem.writeBytes(MID + 0x10, Uint8Array.from([0xaa, 0xbb]));
      run(m, 'movsFs', { [Reg.RSI]: 0x10n, [Reg.RDI]: big(MID + 0x40), [Reg.RCX]: 2n });
      assert.deepEqual([...m.mem.bytes.subarray(MID + 0x40, MID + 0x42)], [0xaa, 0xbb]);
      assert.equal(reg(m, Reg.RSI), 0x12n);
    });

    it('32-bit code with 67: SI/DI/CX wrap at 64 KiB, DS and ES bases apply', () => {
      const m = testMachine();
      m.cpu.setCodeBits(32); // compatibility mode
      m.cpu.setSegBase(Seg.DS, MID);
      m.cpu.setSegBase(Seg.ES, MID + 0x20000);
      m.mem.writeBytes(MID, Uint8Array.from([3, 4]));
      m.mem.writeBytes(MID + 0xfffe, Uint8Array.from([1, 2]));
      setReg(m.cpu, Reg.RSI, 0x1234_fffen); setReg(m.cpu, Reg.RDI, 0x10n); setReg(m.cpu, Reg.RCX, 0x5_0004n);
      m.cpu.setRflags(0);
      runCode(m, [0x67, 0xf3, 0xa4, 0xf4], CODE);
      assert.deepEqual([...m.mem.bytes.subarray(MID + 0x20010, MID + 0x20014)], [1, 2, 3, 4]);
      assert.equal(reg(m, Reg.RSI), 0x1234_0002n);
      assert.equal(reg(m, Reg.RDI), 0x14n);
      assert.equal(reg(m, Reg.RCX), 0x5_0000n);
    });

    it('F2 repeats MOVS like F3, whatever ZF says', () => {
      const m = testMachine();
      m.mem.writeBytes(MID, Uint8Array.from([1, 2, 3]));
      setReg(m.cpu, Reg.RSI, big(MID)); setReg(m.cpu, Reg.RDI, big(MID + 8)); setReg(m.cpu, Reg.RCX, 3n);
      m.cpu.setRflags(Flag.ZF);
      runCode(m, [0xf2, 0xa4, 0xf4], CODE);
      assert.equal(reg(m, Reg.RCX), 0n);
      assert.deepEqual([...m.mem.bytes.subarray(MID + 8, MID + 11)], [1, 2, 3]);
    });

    it('#GP(0) for a non-canonical source, before anything changes', () => {
      const m = testMachine();
      run(m, 'movsbOnce', { [Reg.RSI]: 0x0000_8000_0000_0000n, [Reg.RDI]: big(MID) });
      assert.equal(m.cpu.stopReason, StopReason.FAULT);
      assert.equal(m.cpu.lastFault?.vector, 13);
      assert.equal(m.cpu.rip, CODE);
      assert.equal(reg(m, Reg.RSI), 0x0000_8000_0000_0000n);
    });
  });

  describe('faults and memory outside RAM', () => {
    const HOLE = 0x4000_0000; // one mapped page, then nothing

    it('a REP MOVS that page-faults midway resumes where it stopped', () => {
      const m = testMachine();
      m.pt.map(HOLE, 0x800000, 0x1000);
      m.mem.writeBytes(MID, pattern(0x1800, 7));
      run(m, 'movs1', { [Reg.RSI]: big(MID), [Reg.RDI]: big(HOLE + 0x800), [Reg.RCX]: 0x1000n });
      assert.equal(m.cpu.stopReason, StopReason.FAULT);
      assert.equal(m.cpu.lastFault?.vector, 14);
      assert.equal(m.cpu.lastFault?.errorCode, 2, 'write to a non-present page');
      assert.equal(m.cpu.cr2, HOLE + 0x1000);
      assert.equal(m.cpu.rip, CODE, 'RIP stays on the REP instruction');
      assert.equal(reg(m, Reg.RSI), big(MID + 0x800));
      assert.equal(reg(m, Reg.RDI), big(HOLE + 0x1000));
      assert.equal(reg(m, Reg.RCX), 0x800n);
      assert.ok(Buffer.from(m.mem.bytes.subarray(0x800800, 0x801000)).equals(pattern(0x1800, 7).subarray(0, 0x800)));

      // The "handler" maps the page; the same instruction then finishes the copy.
      m.pt.map(HOLE + 0x1000, 0x801000, 0x1000);
      m.cpu.mmu.tlb.flushAll();
      m.cpu.run(10);
      assert.equal(m.cpu.stopReason, StopReason.HALT);
      assert.equal(reg(m, Reg.RCX), 0n);
      assert.ok(Buffer.from(m.mem.bytes.subarray(0x800800, 0x801800)).equals(pattern(0x1800, 7).subarray(0, 0x1000)));
    });

    it('an element straddling into the unmapped page faults whole', () => {
      const m = testMachine();
      m.pt.map(HOLE, 0x800000, 0x1000);
      run(m, 'movs8', { [Reg.RSI]: big(MID), [Reg.RDI]: big(HOLE + 0xff4), [Reg.RCX]: 3n });
      assert.equal(m.cpu.lastFault?.vector, 14);
      assert.equal(m.cpu.cr2, HOLE + 0x1000);
      assert.equal(reg(m, Reg.RCX), 2n, 'the first element completed, the second did not');
      assert.equal(reg(m, Reg.RDI), big(HOLE + 0xffc));
    });

    it('a source fault reports a read', () => {
      const m = testMachine();
      m.pt.map(HOLE, 0x800000, 0x1000);
      run(m, 'movs4', { [Reg.RSI]: big(HOLE + 0xff0), [Reg.RDI]: big(MID), [Reg.RCX]: 100n });
      assert.equal(m.cpu.lastFault?.errorCode, 0);
      assert.equal(m.cpu.cr2, HOLE + 0x1000);
      assert.equal(reg(m, Reg.RCX), 96n);
    });

    it('copies from physical addresses outside RAM element by element (all ones)', () => {
      const m = testMachine();
      m.pt.map(HOLE, 0x4000000, 0x2000); // above the 32 MiB of RAM
      run(m, 'movs1', { [Reg.RSI]: big(HOLE + 0xf00), [Reg.RDI]: big(MID), [Reg.RCX]: 0x200n });
      assert.equal(m.cpu.stopReason, StopReason.HALT);
      assert.ok(m.mem.bytes.subarray(MID, MID + 0x200).every((b) => b === 0xff));
    });
  });

  describe('self-modifying code', () => {
    for (const name of ['smc', 'smcAddr32'] as const) {
      it(`REP STOS over the rest of its own block is seen at once (${name === 'smc' ? 'page runs' : 'element by element'})`, () => {
        const m = testMachine();
        run(m, name, { [Reg.RDX]: 0n });
        assert.equal(m.cpu.stopReason, StopReason.HALT);
        assert.equal(reg(m, Reg.RDX), 0n, 'the overwritten inc must not run');
        assert.equal(m.cpu.rip, CODE + code[name].length - 3, 'halted on the first stored byte');
      });
    }
  });
});
