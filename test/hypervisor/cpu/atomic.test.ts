/**
 * XADD, CMPXCHG, CMPXCHG8B and CMPXCHG16B: results, flags, which register
 * halves are written (as measured on a real CPU), write-back on failure, and
 * the #GP/#UD cases.
 */
import assert from 'node:assert/strict';
import { StopReason } from '../../../src/hypervisor/cpu/cpu.js';
import { Flag, Reg } from '../../../src/hypervisor/cpu/regs.js';
import { assembleMany } from '../../support/asm.js';
import { getReg, runCode, setReg, testMachine, type TestMachine } from '../../support/machine.js';

const CODE = 0x100000, DATA = 0x400000;
const RO = 0x4000_0000; // a read-only page
const STATUS = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF;
const { RAX, RCX, RDX, RBX, RDI } = Reg;

const SNIPPETS = {
  xaddReg32: 'xadd ebx, eax; hlt',
  xaddRegSame: 'xadd rax, rax; hlt',
  xaddMem8: 'lock xadd byte ptr [rdi], al; hlt',
  xaddMem64: 'xadd qword ptr [rdi], rax; hlt',
  xaddHigh8: 'xadd ah, bl; hlt',
  cmpxchgReg32: 'cmpxchg ebx, ecx; hlt',
  cmpxchgAcc32: 'cmpxchg eax, ecx; hlt',
  cmpxchgMem32: 'lock cmpxchg dword ptr [rdi], ecx; hlt',
  cmpxchgMem64: 'cmpxchg qword ptr [rdi], rcx; hlt',
  cmpxchgMem8: 'cmpxchg byte ptr [rdi], cl; hlt',
  cmpxchgMem16: 'cmpxchg word ptr [rdi], cx; hlt',
  cmpxchg8b: 'lock cmpxchg8b qword ptr [rdi]; hlt',
  cmpxchg16b: 'lock cmpxchg16b xmmword ptr [rdi]; hlt',
};
type Name = keyof typeof SNIPPETS;
let code: Record<Name, Uint8Array>;

function run(m: TestMachine, what: Name | number[], regs: Partial<Record<number, bigint>>, flags = 0): TestMachine {
  for (const [r, v] of Object.entries(regs)) setReg(m.cpu, Number(r), v!);
  m.cpu.setRflags(flags);
  runCode(m, typeof what === 'string' ? code[what] : what, CODE);
  return m;
}

const reg = (m: TestMachine, r: number): bigint => getReg(m.cpu, r);
const flags = (m: TestMachine): number => m.cpu.getRflags() & STATUS;
const le = (x: bigint, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, k) => Number((x >> BigInt(8 * k)) & 0xffn));
const mem = (m: TestMachine, at: number, n: number): bigint =>
  [...m.mem.bytes.subarray(at, at + n)].reduceRight((acc, b) => (acc << 8n) | BigInt(b), 0n);

describe('atomic instructions', () => {
  before(function () {
    this.timeout(30_000);
    const names = Object.keys(SNIPPETS) as Name[];
    const bytes = assembleMany(names.map((n) => SNIPPETS[n]));
    code = Object.fromEntries(names.map((n, k) => [n, bytes[k]!])) as Record<Name, Uint8Array>;
  });

  describe('XADD', () => {
    it('exchanges and adds, with ADD flags and zero-extension of both 32-bit registers', () => {
      const m = run(testMachine(), 'xaddReg32', { [RBX]: 0xbbbb_bbbb_7fff_ffffn, [RAX]: 0xaaaa_aaaa_0000_0001n });
      assert.equal(reg(m, RBX), 0x8000_0000n);
      assert.equal(reg(m, RAX), 0x7fff_ffffn);
      assert.equal(flags(m), Flag.OF | Flag.SF | Flag.AF | Flag.PF);
    });

    it('writes the sum last when both operands are one register', () => {
      assert.equal(reg(run(testMachine(), 'xaddRegSame', { [RAX]: 5n }), RAX), 10n);
    });

    it('on memory: bytes with carry, and quadwords carrying across the halves', () => {
      const m = testMachine();
      m.mem.writeBytes(DATA, Uint8Array.from([0xff]));
      run(m, 'xaddMem8', { [RDI]: BigInt(DATA), [RAX]: 0x1234_0001n });
      assert.equal(m.mem.bytes[DATA], 0);
      assert.equal(reg(m, RAX), 0x1234_00ffn);
      assert.equal(flags(m), Flag.CF | Flag.ZF | Flag.AF | Flag.PF);

      m.mem.writeBytes(DATA, le(0xffff_ffffn, 8));
      run(m, 'xaddMem64', { [RAX]: 1n });
      assert.equal(mem(m, DATA, 8), 0x1_0000_0000n);
      assert.equal(reg(m, RAX), 0xffff_ffffn);
      assert.equal(flags(m), Flag.AF | Flag.PF);
    });

    it('addresses AH without REX', () => {
      const m = run(testMachine(), 'xaddHigh8', { [RAX]: 0x0300n, [RBX]: 0x04n });
      assert.equal(reg(m, RAX), 0x0700n);
      assert.equal(reg(m, RBX), 0x03n);
    });
  });

  describe('CMPXCHG', () => {
    it('register, 32-bit: success writes the destination (zero-extended) and leaves RAX whole', () => {
      const m = run(testMachine(), 'cmpxchgReg32', { [RAX]: 0xaaaa_aaaa_0000_0002n, [RBX]: 0xbbbb_bbbb_0000_0002n, [RCX]: 0xcccc_cccc_0000_0003n });
      assert.equal(reg(m, RBX), 3n);
      assert.equal(reg(m, RAX), 0xaaaa_aaaa_0000_0002n);
      assert.equal(flags(m), Flag.ZF | Flag.PF);
    });

    it('register, 32-bit: failure loads EAX (zero-extended) and leaves the destination untouched', () => {
      const m = run(testMachine(), 'cmpxchgReg32', { [RAX]: 0xaaaa_aaaa_0000_0001n, [RBX]: 0xbbbb_bbbb_0000_0002n, [RCX]: 0xcccc_cccc_0000_0003n });
      assert.equal(reg(m, RAX), 2n);
      assert.equal(reg(m, RBX), 0xbbbb_bbbb_0000_0002n);
      // 1 - 2: borrow, negative, nibble borrow, even parity (0xff).
      assert.equal(flags(m), Flag.CF | Flag.SF | Flag.AF | Flag.PF);
    });

    it('with the accumulator as destination it always succeeds', () => {
      const m = run(testMachine(), 'cmpxchgAcc32', { [RAX]: 0xaaaa_aaaa_0000_0002n, [RCX]: 0xcccc_cccc_0000_0003n });
      assert.equal(reg(m, RAX), 3n);
    });

    it('memory, every width: success stores the source, failure loads the accumulator', () => {
      const m = testMachine();
      const cases: [Name, number, bigint][] = [['cmpxchgMem8', 1, 0x81n], ['cmpxchgMem16', 2, 0x8001n], ['cmpxchgMem32', 4, 0x8000_0001n], ['cmpxchgMem64', 8, 0x8000_0000_0000_0001n]];
      for (const [name, n, value] of cases) {
        const mask = (1n << BigInt(8 * n)) - 1n;
        m.mem.writeBytes(DATA, le(value, 8));
        run(m, name, { [RDI]: BigInt(DATA), [RAX]: value | ~mask & 0x5555_5555_5555_5555n, [RCX]: 0x1234_5678_9abc_def0n });
        assert.equal(flags(m) & Flag.ZF, Flag.ZF, name);
        assert.equal(mem(m, DATA, n), 0x1234_5678_9abc_def0n & mask, name);

        run(m, name, { [RAX]: 0xffff_ffff_ffff_ff00n });
        assert.equal(flags(m) & Flag.ZF, 0, name);
        const upper = n >= 4 ? 0n : 0xffff_ffff_ffff_ff00n & ~mask;
        assert.equal(reg(m, RAX), upper | (0x1234_5678_9abc_def0n & mask), name);
      }
    });

    it('writes memory back on failure: a read-only page faults either way', () => {
      const m = testMachine();
      m.pt.map(RO, DATA, 0x1000, { writable: false });
      m.mem.writeBytes(DATA, le(7n, 4));
      for (const rax of [7n, 8n]) {
        run(m, 'cmpxchgMem32', { [RDI]: BigInt(RO), [RAX]: rax, [RCX]: 9n });
        assert.equal(m.cpu.stopReason, StopReason.FAULT);
        assert.equal(m.cpu.lastFault?.vector, 14);
        assert.equal(m.cpu.lastFault?.errorCode, 3, 'write to a present page');
        assert.equal(reg(m, RAX), rax, 'the accumulator is loaded only after the write-back');
        assert.equal(mem(m, DATA, 4), 7n);
      }
    });

    it('LOCK with a register destination is #UD', () => {
      const m = run(testMachine(), [0xf0, 0x0f, 0xb1, 0xcb, 0xf4], {}); // lock cmpxchg ebx, ecx
      assert.equal(m.cpu.lastFault?.vector, 6);
    });
  });

  describe('CMPXCHG8B and CMPXCHG16B', () => {
    const Q = 0x1111_1111_2222_2222n;

    it('CMPXCHG8B: success stores ECX:EBX; failure loads EDX:EAX zero-extended; only ZF changes', () => {
      const m = testMachine();
      m.mem.writeBytes(DATA, le(Q, 8));
      const others = Flag.CF | Flag.SF | Flag.OF | Flag.PF | Flag.AF;
      run(m, 'cmpxchg8b', { [RDI]: BigInt(DATA), [RAX]: 0xaaaa_aaaa_0000_0000n, [RDX]: 0xdddd_dddd_0000_0000n, [RBX]: 5n, [RCX]: 6n }, others | Flag.ZF);
      assert.equal(reg(m, RAX), 0x2222_2222n);
      assert.equal(reg(m, RDX), 0x1111_1111n);
      assert.equal(mem(m, DATA, 8), Q);
      assert.equal(flags(m), others);

      run(m, 'cmpxchg8b', { [RAX]: 0xaaaa_aaaa_2222_2222n, [RDX]: 0xdddd_dddd_1111_1111n }, others);
      assert.equal(mem(m, DATA, 8), 0x6_0000_0005n);
      assert.equal(reg(m, RAX), 0xaaaa_aaaa_2222_2222n);
      assert.equal(reg(m, RDX), 0xdddd_dddd_1111_1111n);
      assert.equal(flags(m), others | Flag.ZF);
    });

    it('CMPXCHG16B: compares RDX:RAX, stores RCX:RBX', () => {
      const m = testMachine();
      m.mem.writeBytes(DATA, le(0xffee_ddcc_bbaa_9988_7766_5544_3322_1100n, 16));
      run(m, 'cmpxchg16b', { [RDI]: BigInt(DATA), [RAX]: 0x7766_5544_3322_1100n, [RDX]: 0xffee_ddcc_bbaa_9988n, [RBX]: 1n, [RCX]: 2n });
      assert.equal(flags(m) & Flag.ZF, Flag.ZF);
      assert.equal(mem(m, DATA, 16), (2n << 64n) | 1n);

      run(m, 'cmpxchg16b', { [RAX]: 0n, [RDX]: 0n, [RBX]: 3n, [RCX]: 4n }, Flag.ZF | Flag.CF);
      assert.equal(flags(m), Flag.CF);
      assert.equal(reg(m, RAX), 1n);
      assert.equal(reg(m, RDX), 2n);
      assert.equal(mem(m, DATA, 16), (2n << 64n) | 1n);
    });

    it('CMPXCHG16B on a misaligned operand is #GP(0)', () => {
      const m = run(testMachine(), 'cmpxchg16b', { [RDI]: BigInt(DATA + 8), [RAX]: 0n, [RDX]: 0n });
      assert.equal(m.cpu.stopReason, StopReason.FAULT);
      assert.equal(m.cpu.lastFault?.vector, 13);
      assert.equal(m.cpu.lastFault?.errorCode, 0);
      assert.equal(m.cpu.rip, CODE);
    });

    it('the register form of group 9 /1 is #UD', () => {
      const m = run(testMachine(), [0x0f, 0xc7, 0xc8, 0xf4], {}); // cmpxchg8b with mod = 3
      assert.equal(m.cpu.lastFault?.vector, 6);
    });
  });
});
