/**
 * The native oracle's own tests: that the harness runs what it is given,
 * reports what the CPU did, and keeps vectors independent of each other.
 * Code bytes are hand-assembled; each is annotated with its instruction.
 */
import assert from 'node:assert/strict';
import {
  AF, CF, DF, Exc, LAYOUT, OF, PF, SF, STATUS_FLAGS, ZF, buildHarness, runNative, type Outcome, type Vector,
} from './native.js';

const NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
type RegName = (typeof NAMES)[number];

const STACK_TOP = BigInt(LAYOUT.STACK_TOP);
const DATA = BigInt(LAYOUT.DATA);

/** A vector with the given registers (others 0, RSP at the stack top), flags and data. */
function vec(code: number[], regs: Partial<Record<RegName, bigint>> = {}, rflags = 0, data: number[] = []): Vector {
  return {
    name: Buffer.from(code).toString('hex'),
    code: Uint8Array.from(code),
    regs: NAMES.map((n) => regs[n] ?? (n === 'rsp' ? STACK_TOP : 0n)),
    rflags,
    data: Uint8Array.from(data),
  };
}

const reg = (o: Outcome, n: RegName): bigint => o.regs[NAMES.indexOf(n)];
const run1 = (v: Vector): Outcome => runNative([v])[0];

describe('native oracle', function () {
  before(function () {
    this.timeout(60_000); // a first run compiles the harness
    buildHarness();
  });

  describe('normal completion', () => {
    it('adds and sets the status flags', () => {
      const ADD_RAX_RBX = [0x48, 0x01, 0xd8];
      const [small, overflow, wrap] = runNative([
        vec(ADD_RAX_RBX, { rax: 1n, rbx: 2n }),
        vec(ADD_RAX_RBX, { rax: 0x7fff_ffff_ffff_ffffn, rbx: 1n }),
        vec(ADD_RAX_RBX, { rax: 0xffff_ffff_ffff_ffffn, rbx: 1n }),
      ]);
      assert.equal(reg(small, 'rax'), 3n);
      assert.equal(small.rflags & STATUS_FLAGS, PF);
      assert.equal(reg(overflow, 'rax'), 0x8000_0000_0000_0000n);
      assert.equal(overflow.rflags & STATUS_FLAGS, OF | SF | AF | PF);
      assert.equal(reg(wrap, 'rax'), 0n);
      assert.equal(wrap.rflags & STATUS_FLAGS, CF | ZF | AF | PF);
      for (const o of [small, overflow, wrap]) {
        assert.equal(o.fault, null);
        assert.equal(o.ripOffset, 3);
      }
    });

    it('passes the input status flags to the guest', () => {
      // adc rax, rbx
      const o = run1(vec([0x48, 0x11, 0xd8], { rax: 1n, rbx: 2n }, CF));
      assert.equal(reg(o, 'rax'), 4n);
    });

    it('shows stores in the data buffer, at its fixed address', () => {
      // mov [0x10000000], eax ; mov [rbx+5], cl
      const o = run1(vec([0x89, 0x04, 0x25, 0x00, 0x00, 0x00, 0x10, 0x88, 0x4b, 0x05],
        { rax: 0x1122_3344_5566_7788n, rcx: 0x99n, rbx: DATA }, 0, Array(8).fill(0xaa)));
      assert.equal(o.fault, null);
      assert.deepEqual([...o.data], [0x88, 0x77, 0x66, 0x55, 0xaa, 0x99, 0xaa, 0xaa]);
    });

    it('gives the guest a working stack at the given RSP', () => {
      // push rbx ; push rcx ; pop rdx ; pop rsi
      const o = run1(vec([0x53, 0x51, 0x5a, 0x5e], { rbx: 0x1234n, rcx: 0x5678n }));
      assert.equal(reg(o, 'rdx'), 0x5678n);
      assert.equal(reg(o, 'rsi'), 0x1234n);
      assert.equal(reg(o, 'rsp'), STACK_TOP);
      assert.equal(reg(run1(vec([0x53])), 'rsp'), STACK_TOP - 8n);
    });

    it('reports every register, RSP included', () => {
      const value = (i: number): bigint => BigInt(i) * 0x0101_0101_0101_0101n;
      const not = (x: bigint): bigint => BigInt.asUintN(64, ~x);
      // xchg rsp, r15 ; then not r64 for every register but rsp
      const code = [0x49, 0x87, 0xe7];
      for (let r = 0; r < 16; r++) if (r !== 4) code.push(r < 8 ? 0x48 : 0x49, 0xf7, 0xd0 | (r & 7));
      const o = run1(vec(code, Object.fromEntries(NAMES.map((n, i) => [n, value(i)]))));
      assert.equal(o.fault, null);
      NAMES.forEach((n, i) => {
        const expected = n === 'rsp' ? value(15) : n === 'r15' ? not(value(4)) : not(value(i));
        assert.equal(reg(o, n), expected, n);
      });
    });
  });

  describe('flags hygiene', () => {
    it('lets DF through but not TF, AC or IOPL', () => {
      // pushfq ; pop rax
      const o = run1(vec([0x9c, 0x58], {}, 0xffff_ffff));
      assert.equal(reg(o, 'rax'), BigInt(STATUS_FLAGS | DF | 0x202)); // 0x202: IF and the fixed bit 1
    });

    it('does not leak DF into the harness or the next vector', () => {
      // std ; then pushfq ; pop rax
      const [std, next] = runNative([vec([0xfd]), vec([0x9c, 0x58])]);
      assert.equal(std.rflags & DF, DF);
      assert.equal(Number(reg(next, 'rax')) & DF, 0);
    });
  });

  describe('faults', () => {
    it('reports #DE at the div, with the registers as they were', () => {
      // nop ; div rcx
      const o = run1(vec([0x90, 0x48, 0xf7, 0xf1], { rax: 7n, rcx: 0n }));
      assert.equal(o.fault, Exc.DE);
      assert.equal(o.ripOffset, 1);
      assert.equal(reg(o, 'rax'), 7n);
    });

    it('reports #UD for ud2', () => {
      // nop ; nop ; ud2
      const o = run1(vec([0x90, 0x90, 0x0f, 0x0b]));
      assert.equal(o.fault, Exc.UD);
      assert.equal(o.ripOffset, 2);
    });

    it('reports #BP after the int3, as a trap', () => {
      // nop ; int3 ; nop
      const o = run1(vec([0x90, 0xcc, 0x90]));
      assert.equal(o.fault, Exc.BP);
      assert.equal(o.ripOffset, 2);
    });

    it('reports #PF with CR2 and the error code', () => {
      // mov rax, [rbx] ; mov [rbx], rax: just past the data page
      const [read, write] = runNative([
        vec([0x48, 0x8b, 0x03], { rbx: DATA + 0x1000n }),
        vec([0x48, 0x89, 0x03], { rbx: DATA + 0x1000n }),
      ]);
      for (const o of [read, write]) {
        assert.equal(o.fault, Exc.PF);
        assert.equal(o.faultAddr, DATA + 0x1000n);
        assert.equal(o.ripOffset, 0);
      }
      assert.equal(read.errorCode, 0x4); // user, read, not present
      assert.equal(write.errorCode, 0x6); // user, write, not present
    });

    it('reports #GP for a non-canonical address, and #SS when it goes through RSP', () => {
      const NON_CANONICAL = 0x8000_0000_0000_0000n;
      // mov rax, [rbx] ; push rax
      const [gp, ss] = runNative([
        vec([0x48, 0x8b, 0x03], { rbx: NON_CANONICAL }),
        vec([0x50], { rsp: NON_CANONICAL }),
      ]);
      assert.equal(gp.fault, Exc.GP);
      assert.equal(gp.errorCode, 0);
      assert.equal(ss.fault, Exc.SS);
      assert.equal(reg(ss, 'rsp'), NON_CANONICAL);
    });

    it('fills the rest of the code page with int3', () => {
      // jmp +0x10: lands on filler at offset 0x12
      const o = run1(vec([0xeb, 0x10]));
      assert.equal(o.fault, Exc.BP);
      assert.equal(o.ripOffset, 0x13);
    });

    it('stops a guest that never finishes', function () {
      this.timeout(10_000);
      // jmp $
      const [hang, after] = runNative([vec([0xeb, 0xfe]), vec([0x90])]);
      assert.equal(hang.fault, 'timeout');
      assert.equal(hang.ripOffset, 0);
      assert.equal(after.fault, null);
    });
  });

  describe('batches', () => {
    it('gives every vector fresh data and a zeroed stack', () => {
      // mov byte [0x10000000], 0x55 ; push rbx   then   mov al, [0x10000000] ; mov rcx, [rsp-8]
      const [dirty, clean] = runNative([
        vec([0xc6, 0x04, 0x25, 0x00, 0x00, 0x00, 0x10, 0x55, 0x53], { rbx: 0x77n }, 0, [0x11]),
        vec([0x8a, 0x04, 0x25, 0x00, 0x00, 0x00, 0x10, 0x48, 0x8b, 0x4c, 0x24, 0xf8], {}, 0, [0x11]),
      ]);
      assert.deepEqual([...dirty.data], [0x55]);
      assert.equal(reg(clean, 'rax'), 0x11n);
      assert.equal(reg(clean, 'rcx'), 0n);
    });

    it('runs thousands of vectors, faulting or not, in one process', () => {
      // add rax, rbx, or #DE from div rcx (rcx = 0) for every third vector
      const vs = Array.from({ length: 5000 }, (_, i) => i % 3
        ? vec([0x48, 0x01, 0xd8], { rax: BigInt(i), rbx: BigInt(i) << 32n })
        : vec([0x48, 0xf7, 0xf1], { rax: BigInt(i) }));
      runNative(vs).forEach((o, i) => {
        if (i % 3) assert.equal(reg(o, 'rax'), BigInt(i) * 0x1_0000_0001n);
        else assert.equal(o.fault, Exc.DE);
      });
    });

    it('rejects vectors that do not fit the harness', () => {
      assert.throws(() => runNative([vec(Array(65).fill(0x90))]), /code longer/);
      assert.throws(() => runNative([vec([0x90], {}, 0, Array(257).fill(0))]), /data longer/);
    });
  });
});
