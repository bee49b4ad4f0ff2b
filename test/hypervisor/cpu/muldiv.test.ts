/** MUL/IMUL/DIV/IDIV and the accumulator sign extensions: SDM corner cases, plus a BigInt cross-check. */
import assert from 'node:assert/strict';
import { Reg } from '../../../src/hypervisor/cpu/regs.js';
import { assembleMany } from '../../support/asm.js';
import { getReg, runCode, setReg, testMachine } from '../../support/machine.js';
import { CF, CODE, OF, describeCases, type Case } from './insn-cases.js';

const M64 = (1n << 64n) - 1n, M32 = 0xffffffffn;
const CFOF = CF | OF;
const DE = 0;
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

const A = 0x123456789abcdef0n, B = 0x0fedcba987654321n;
const prodU = A * B;
const prodS = s64(0xfedcba9876543210n) * B;

const cases: Case[] = [
  // ---- MUL/IMUL, one operand ----
  { name: 'MUL r8: AX <- AL * r/m8, CF = OF = (AH != 0)', asm: 'mul bl', regs: { rax: 0xaa80n, rbx: 2n },
    want: { regs: { rax: 0x100n }, flags: CFOF, flagMask: CFOF } },
  { name: 'MUL r8 that fits clears CF and OF', asm: 'mul bl', regs: { rax: 3n, rbx: 2n }, flags: CFOF,
    want: { regs: { rax: 6n }, flags: 0, flagMask: CFOF } },
  { name: 'IMUL r8 with a negative product that fits', asm: 'imul bl', regs: { rax: 0xffn, rbx: 2n },
    want: { regs: { rax: 0xfffen }, flags: 0, flagMask: CFOF } },
  { name: 'IMUL r8 overflow', asm: 'imul bh', regs: { rax: 0x40n, rbx: 0x400n },
    want: { regs: { rax: 0x100n }, flags: CFOF, flagMask: CFOF } },
  { name: 'MUL r16 writes DX:AX and keeps the upper bits', asm: 'mul cx', regs: { rax: 0x1111_0000_ffffn, rcx: 0xffffn, rdx: 0x2222_0000_0000n },
    want: { regs: { rax: 0x1111_0000_0001n, rdx: 0x2222_0000_fffen }, flags: CFOF, flagMask: CFOF } },
  { name: 'MUL r32 zero-extends both halves', asm: 'mul ecx', regs: { rax: 0xaaaa_ffffffffn, rcx: 0xffffffffn, rdx: -1n },
    want: { regs: { rax: 1n, rdx: 0xfffffffen }, flags: CFOF, flagMask: CFOF } },
  { name: 'IMUL r32 of -1 * -1', asm: 'imul ecx', regs: { rax: 0xffffffffn, rcx: 0xffffffffn },
    want: { regs: { rax: 1n, rdx: 0n }, flags: 0, flagMask: CFOF } },
  { name: 'MUL r64: the full 128-bit product', asm: 'mul rbx', regs: { rax: A, rbx: B },
    want: { regs: { rax: prodU & M64, rdx: prodU >> 64n }, flags: CFOF, flagMask: CFOF } },
  { name: 'MUL r64 of (2^64-1)^2', asm: 'mul rbx', regs: { rax: M64, rbx: M64 },
    want: { regs: { rax: 1n, rdx: M64 - 1n } } },
  { name: 'IMUL r64: the signed high half', asm: 'imul rbx', regs: { rax: 0xfedcba9876543210n, rbx: B },
    want: { regs: { rax: u64(prodS), rdx: u64(prodS >> 64n) }, flags: CFOF, flagMask: CFOF } },
  { name: 'IMUL r64 with a product that fits: RDX is the sign', asm: 'imul qword ptr [rbx]', regs: { rax: -3n, rbx: 0x200000n },
    data: [7, 0, 0, 0, 0, 0, 0, 0], want: { regs: { rax: u64(-21n), rdx: M64 }, flags: 0, flagMask: CFOF } },

  // ---- IMUL, two and three operands ----
  { name: 'IMUL r64, r/m64 keeps the low half and flags the overflow', asm: 'imul rax, rbx', regs: { rax: A, rbx: B },
    want: { regs: { rax: prodU & M64 }, flags: CFOF, flagMask: CFOF } },
  { name: 'IMUL r64, r/m64 of -2^31 * 2^32 fits', asm: 'imul rcx, rdx', regs: { rcx: -(1n << 31n), rdx: 1n << 32n },
    want: { regs: { rcx: u64(-(1n << 63n)) }, flags: 0, flagMask: CFOF } },
  { name: 'IMUL r64, r/m64 of 2^31 * 2^32 overflows', asm: 'imul rcx, rdx', regs: { rcx: 1n << 31n, rdx: 1n << 32n },
    want: { regs: { rcx: 1n << 63n }, flags: CFOF, flagMask: CFOF } },
  { name: 'IMUL r32, r/m32, imm8 zero-extends', asm: 'imul eax, ebx, -3', regs: { rax: -1n, rbx: 5n },
    want: { regs: { rax: 0xfffffff1n }, flags: 0, flagMask: CFOF } },
  { name: 'IMUL r32 overflow', asm: 'imul eax, ebx, 0x10000', regs: { rbx: 0x8000n },
    want: { regs: { rax: 0x80000000n }, flags: CFOF, flagMask: CFOF } },
  { name: 'IMUL r16, r/m16, imm16 keeps the upper bits', asm: 'imul ax, bx, 0x7fff', regs: { rax: 0xabcd_0000n, rbx: 3n },
    want: { regs: { rax: 0xabcd_7ffdn }, flags: CFOF, flagMask: CFOF } },
  { name: 'IMUL r64, r/m64, imm32 (sign-extended)', asm: 'imul rdx, rsi, -2', regs: { rsi: 1n << 62n },
    want: { regs: { rdx: u64(-(1n << 63n)) }, flags: 0, flagMask: CFOF } },

  // ---- DIV/IDIV ----
  { name: 'DIV r8 with BH as the divisor', asm: 'div bh', regs: { rax: 100n, rbx: 0x700n },
    want: { regs: { rax: 0x020en } } },
  { name: 'DIV r16', asm: 'div cx', regs: { rax: 0x5678n, rdx: 0x1234n, rcx: 0x2000n },
    want: { regs: { rax: 0x91a2n, rdx: 0x1678n } } },
  { name: 'DIV r32 with EDX != 0', asm: 'div ecx', regs: { rax: 0n, rdx: 1n, rcx: 2n },
    want: { regs: { rax: 0x80000000n, rdx: 0n } } },
  { name: 'DIV r64 of 2^64-1 by 3', asm: 'div rcx', regs: { rax: M64, rdx: 0n, rcx: 3n },
    want: { regs: { rax: M64 / 3n, rdx: 0n } } },
  { name: 'DIV r64 with a divisor above 2^32', asm: 'div rcx', regs: { rax: A, rdx: 0x1234n, rcx: B },
    want: { regs: { rax: ((0x1234n << 64n) | A) / B, rdx: ((0x1234n << 64n) | A) % B } } },
  { name: 'IDIV r64 truncates toward zero', asm: 'cqo; idiv rcx', regs: { rax: -7n, rcx: 2n },
    want: { regs: { rax: u64(-3n), rdx: u64(-1n) } } },
  { name: 'IDIV r64 of INT64_MIN by 1 fits', asm: 'cqo; idiv rcx', regs: { rax: 1n << 63n, rcx: 1n },
    want: { regs: { rax: 1n << 63n, rdx: 0n } } },
  { name: 'IDIV r32 of INT32_MIN by -1 in 64-bit registers fits', asm: 'cqo; idiv rcx', regs: { rax: u64(-(1n << 31n)), rcx: -1n },
    want: { regs: { rax: 1n << 31n, rdx: 0n } } },
  { name: 'IDIV r8', asm: 'idiv bl', regs: { rax: 0xfff9n, rbx: 2n }, want: { regs: { rax: 0xfffdn } } },
  { name: 'IDIV r32 of a 64-bit dividend', asm: 'idiv ecx', regs: { rax: 0n, rdx: 0xfffffffen, rcx: 0x40000000n },
    want: { regs: { rax: 0xfffffff8n, rdx: 0n } } },

  // ---- #DE: the fault leaves RIP on the divide and every register as it was ----
  { name: '#DE: DIV by zero', asm: 'div ecx', regs: { rax: 5n, rdx: 0n, rcx: 0n }, want: { fault: DE, regs: { rax: 5n } } },
  { name: '#DE: RIP stays on the divide', asm: 'mov eax, 5; div rcx', regs: { rcx: 0n }, want: { fault: DE, rip: 5, regs: { rax: 5n } } },
  { name: '#DE: DIV r32 quotient overflow', asm: 'div ecx', regs: { rax: 0n, rdx: 2n, rcx: 2n }, want: { fault: DE, regs: { rdx: 2n } } },
  { name: '#DE: DIV r64 quotient overflow', asm: 'div rcx', regs: { rdx: B, rcx: B }, want: { fault: DE, regs: { rdx: B } } },
  { name: '#DE: DIV r8 quotient overflow', asm: 'div bl', regs: { rax: 0x100n, rbx: 1n }, want: { fault: DE, regs: { rax: 0x100n } } },
  { name: '#DE: IDIV r64 of INT64_MIN by -1', asm: 'idiv rcx', regs: { rax: 1n << 63n, rdx: M64, rcx: M64 },
    want: { fault: DE, regs: { rax: 1n << 63n } } },
  { name: '#DE: IDIV r32 of INT32_MIN by -1', asm: 'idiv ecx', regs: { rax: 0x80000000n, rdx: 0xffffffffn, rcx: 0xffffffffn },
    want: { fault: DE } },
  { name: '#DE: IDIV r32 by zero after CDQ', asm: 'idiv ecx', regs: { rax: 7n, rdx: 0n, rcx: 0x1_0000_0000n }, want: { fault: DE } },
  { name: '#DE: IDIV r8 of -128 by -1', asm: 'idiv bl', regs: { rax: 0xff80n, rbx: 0xffn }, want: { fault: DE } },
  { name: '#DE: IDIV r64 with a positive quotient of 2^63', asm: 'idiv rcx', regs: { rax: 0n, rdx: 0xc000000000000000n, rcx: 1n << 63n },
    want: { fault: DE } },
  { name: 'IDIV r64 with a negative quotient of -2^63 fits', asm: 'idiv rcx', regs: { rax: 0n, rdx: 0x4000000000000000n, rcx: 1n << 63n },
    want: { regs: { rax: 1n << 63n, rdx: 0n } } },
  { name: '#DE: DIV AH always overflows (AX / AH >= 256)', asm: 'div ah', regs: { rax: 0xff00n }, want: { fault: DE } },

  // ---- CBW/CWD families ----
  { name: 'CBW', asm: 'cbw', regs: { rax: 0x1234_5680n }, want: { regs: { rax: 0x1234_ff80n } } },
  { name: 'CWDE zero-extends', asm: 'cwde', regs: { rax: 0xffff_0000_8000n }, want: { regs: { rax: 0xffff8000n } } },
  { name: 'CDQE', asm: 'cdqe', regs: { rax: 0x1_8000_0000n }, want: { regs: { rax: u64(-(1n << 31n)) } } },
  { name: 'CWD', asm: 'cwd', regs: { rax: 0x8000n, rdx: 0x5555_0000n }, want: { regs: { rdx: 0x5555_ffffn } } },
  { name: 'CDQ zero-extends', asm: 'cdq', regs: { rax: 0x7fffffffn, rdx: -1n }, want: { regs: { rdx: 0n } } },
  { name: 'CQO', asm: 'cqo', regs: { rax: 1n << 63n }, want: { regs: { rdx: M64 } } },
];

describeCases('MUL, IMUL, DIV, IDIV, CBW, CWD', cases);

/** A small deterministic generator (xorshift64*) of operands biased toward edges. */
function* operands(seed: bigint, count: number): Generator<bigint> {
  const edges = [0n, 1n, 2n, 3n, M64, M64 - 1n, 1n << 63n, (1n << 63n) - 1n, 1n << 32n, (1n << 32n) - 1n, 0xffffffff00000000n, 0x80000000n];
  let x = seed;
  for (let k = 0; k < count; k++) {
    x ^= x >> 12n; x ^= (x << 25n) & M64; x ^= x >> 27n;
    const r = (x * 0x2545f4914f6cdd1dn) & M64;
    // Mix widths: full 64-bit values, 32-bit values and edges.
    yield k % 4 === 0 ? edges[Number(r % BigInt(edges.length))]! : k % 4 === 1 ? r >> (r & 63n) : k % 4 === 2 ? r & 0xffffffffn : r;
  }
}

describe('64-bit multiply and divide against BigInt', () => {
  const forms = ['mul rcx', 'imul rcx', 'div rcx', 'idiv rcx', 'imul rax, rcx', 'div ecx', 'idiv ecx'];
  let code: Uint8Array[] = [];
  before(() => { code = assembleMany(forms.map((f) => `${f}; hlt`)); });

  /** The architectural result of each form, or 'DE'. */
  function model(form: string, rax: bigint, rdx: bigint, rcx: bigint): [bigint, bigint] | 'DE' {
    switch (form) {
      case 'mul rcx': { const p = rax * rcx; return [p & M64, p >> 64n]; }
      case 'imul rcx': { const p = BigInt.asUintN(128, s64(rax) * s64(rcx)); return [p & M64, p >> 64n]; }
      case 'imul rax, rcx': return [u64(rax * rcx), rdx];
      case 'div rcx': {
        if (rcx === 0n) return 'DE';
        const n = (rdx << 64n) | rax, q = n / rcx;
        return q > M64 ? 'DE' : [q, n % rcx];
      }
      case 'div ecx': {
        const d = rcx & M32, n = ((rdx & M32) << 32n) | (rax & M32);
        if (d === 0n || n / d > M32) return 'DE';
        return [n / d, n % d];
      }
      case 'idiv ecx': {
        const d = BigInt.asIntN(32, rcx), n = BigInt.asIntN(64, ((rdx & M32) << 32n) | (rax & M32));
        if (d === 0n || n / d >= 1n << 31n || n / d < -(1n << 31n)) return 'DE';
        return [BigInt.asUintN(32, n / d), BigInt.asUintN(32, n % d)];
      }
      case 'idiv rcx': {
        if (rcx === 0n) return 'DE';
        const n = BigInt.asIntN(128, (rdx << 64n) | rax), d = s64(rcx), q = n / d;
        return q >= 1n << 63n || q < -(1n << 63n) ? 'DE' : [u64(q), u64(n % d)];
      }
      default: throw new Error(form);
    }
  }

  forms.forEach((form, f) => it(form, () => {
    const m = testMachine();
    const gen = operands(0x9e3779b97f4a7c15n + BigInt(f), 3 * 2000);
    for (let k = 0; k < 2000; k++) {
      const rax = gen.next().value!, rcx = gen.next().value!;
      // Divides: mostly RDX small enough for a quotient that fits, sometimes the sign extension of RAX.
      const r = gen.next().value!;
      const signExt = s64(form.endsWith('ecx') ? BigInt.asIntN(32, rax) : rax) < 0n ? M64 : 0n;
      const rdx = form.startsWith('idiv') && k % 2 === 0 ? signExt : rcx === 0n ? r : r % rcx;
      setReg(m.cpu, Reg.RAX, rax); setReg(m.cpu, Reg.RCX, rcx); setReg(m.cpu, Reg.RDX, rdx);
      runCode(m, code[f]!, CODE);
      const want = model(form, rax, rdx, rcx);
      const what = `${form} rdx:rax=${rdx.toString(16)}:${rax.toString(16)} rcx=${rcx.toString(16)}`;
      if (want === 'DE') {
        assert.equal(m.cpu.lastFault?.vector, DE, what);
        m.cpu.lastFault = undefined;
      } else {
        assert.deepEqual([getReg(m.cpu, Reg.RAX), getReg(m.cpu, Reg.RDX)], want, what);
      }
    }
  }));
});
