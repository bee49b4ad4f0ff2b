/** Group 2 shifts and rotates, SHLD/SHRD: SDM corner cases. */
import { AF, CF, DATA, OF, PF, SF, ZF, describeCases, le, type Case } from './insn-cases.js';

const M64 = (1n << 64n) - 1n;
const DEFINED = CF | SF | ZF | PF; // after a multi-bit shift OF and AF are undefined
const ALL = CF | PF | AF | ZF | SF | OF;

// BigInt references for the 64-bit forms.
const rol64 = (v: bigint, n: bigint): bigint => ((v << n) | (v >> (64n - n))) & M64;
/** RCL/RCR as a 65-bit rotate of CF:v; returns [result, CF]. */
function rcl64(v: bigint, cf: bigint, n: bigint): [bigint, bigint] {
  const x = (cf << 64n) | v, r = ((x << n) | (x >> (65n - n))) & ((1n << 65n) - 1n);
  return [r & M64, r >> 64n];
}
const rcr64 = (v: bigint, cf: bigint, n: bigint): [bigint, bigint] => rcl64(v, cf, 65n - n);

const V = 0x123456789abcdef0n;
const [rclR, rclC] = rcl64(0x8000000000000001n, 1n, 33n);
const [rcrR, rcrC] = rcr64(V, 1n, 63n);
const [rcrMemR] = rcr64(0xfedcba9876543210n, 0n, 12n);

const cases: Case[] = [
  // ---- SHL/SHR/SAR ----
  { name: 'SHL r32 by 1: CF is the bit shifted out, OF = MSB xor CF', asm: 'shl eax, 1', regs: { rax: 0x80000001n },
    want: { regs: { rax: 2n }, flags: CF | OF, flagMask: DEFINED | OF } },
  { name: 'a masked count of 0 changes no flags but still zero-extends a 32-bit register', asm: 'shl eax, cl',
    regs: { rax: 0xdeadbeef12345678n, rcx: 32n }, flags: ALL, want: { regs: { rax: 0x12345678n }, flags: ALL } },
  { name: 'a count of 0 keeps lazily computed flags', asm: 'add al, 1; shl ebx, cl', regs: { rax: 0xffn, rcx: 0n },
    want: { flags: CF | ZF | PF | AF } },
  { name: '64-bit counts are masked to 6 bits', asm: 'shl rax, cl', regs: { rax: 1n, rcx: 65n }, want: { regs: { rax: 2n } } },
  { name: 'a 64-bit count of 64 masks to 0', asm: 'shl rax, cl', regs: { rax: 5n, rcx: 64n }, flags: SF | OF,
    want: { regs: { rax: 5n }, flags: SF | OF } },
  { name: 'SHL r8 by its width moves bit 0 into CF', asm: 'shl al, cl', regs: { rax: 0x181n, rcx: 8n },
    want: { regs: { rax: 0x100n }, flags: CF | ZF | PF, flagMask: DEFINED } },
  { name: 'SHL r8 beyond its width clears it', asm: 'shl al, cl', regs: { rax: 0xffn, rcx: 31n },
    want: { regs: { rax: 0n }, flags: ZF | PF, flagMask: ZF | SF | PF } },
  { name: 'SHR by 1: OF is the original sign', asm: 'shr eax, 1', regs: { rax: 0x80000000n },
    want: { regs: { rax: 0x40000000n }, flags: OF | PF, flagMask: DEFINED | OF } },
  { name: 'SAR r8 beyond its width fills with the sign, CF too', asm: 'sar al, cl', regs: { rax: 0x80n, rcx: 10n },
    want: { regs: { rax: 0xffn }, flags: CF | SF | PF, flagMask: DEFINED } },
  { name: 'SAR by 1 clears OF', asm: 'sar eax, 1', regs: { rax: 0x80000001n }, flags: OF,
    want: { regs: { rax: 0xc0000000n }, flags: CF | SF | PF, flagMask: DEFINED | OF } },
  { name: 'SAR r64 by 63', asm: 'sar rax, 63', regs: { rax: 0x8000000000000000n }, want: { regs: { rax: M64 }, flags: SF | PF, flagMask: DEFINED } },
  { name: 'SHR r64 across the halves', asm: 'shr rax, 36', regs: { rax: V },
    want: { regs: { rax: V >> 36n }, flags: CF, flagMask: CF | ZF | SF } },
  { name: 'SHL r64 by 32 moves the low half up', asm: 'shl rax, 32', regs: { rax: 0x80000001n },
    want: { regs: { rax: 0x8000000100000000n }, flags: SF | PF, flagMask: DEFINED } },
  { name: 'AH and BH without REX', asm: 'shl ah, 1; ror bh, 4', regs: { rax: 0x8100n, rbx: 0x1200n },
    want: { regs: { rax: 0x0200n, rbx: 0x2100n } } },
  { name: 'SIL with REX', asm: 'shl sil, 1', regs: { rsi: 0x1ffn }, want: { regs: { rsi: 0x1fen } } },
  { name: '/6 (SAL) is an alias of SHL', asm: '.byte 0xd0, 0xf0', regs: { rax: 0x41n },
    want: { regs: { rax: 0x82n }, flags: OF | SF | PF, flagMask: DEFINED | OF } },
  { name: 'SHL dword in memory', asm: 'shl dword ptr [rbx], 4', regs: { rbx: DATA }, data: le(0x12345678n, 4),
    want: { data: le(0x23456780n, 4), flags: CF, flagMask: DEFINED } },
  { name: 'SAR word in memory by 1', asm: 'sar word ptr [rbx + 2], 1', regs: { rbx: DATA }, data: [0, 0, 0x01, 0x80],
    want: { data: [0, 0, 0x00, 0xc0], flags: CF | SF | PF, flagMask: DEFINED | OF } },

  // ---- rotates ----
  { name: 'ROL r8 by 8 leaves it, CF = LSB', asm: 'rol al, 8', regs: { rax: 0x81n }, want: { regs: { rax: 0x81n }, flags: CF, flagMask: CF } },
  { name: 'ROL r64', asm: 'rol rax, 4', regs: { rax: V }, want: { regs: { rax: rol64(V, 4n) }, flags: CF, flagMask: CF } },
  { name: 'ROR r64 across the halves', asm: 'ror rax, 36', regs: { rax: V }, want: { regs: { rax: rol64(V, 28n) }, flags: rol64(V, 28n) >> 63n ? CF : 0, flagMask: CF } },
  { name: 'rotates keep SF ZF AF PF', asm: 'rol eax, 1', regs: { rax: 1n }, flags: ZF | SF | PF | AF,
    want: { regs: { rax: 2n }, flags: ZF | SF | PF | AF } },
  { name: 'RCL by 1 rotates through CF', asm: 'rcl al, 1', regs: { rax: 0x80n }, flags: CF,
    want: { regs: { rax: 0x01n }, flags: CF | OF, flagMask: CF | OF } },
  { name: 'RCL r8 counts go modulo 9', asm: 'rcl al, cl', regs: { rax: 0x55n, rcx: 9n }, flags: CF,
    want: { regs: { rax: 0x55n }, flags: CF, flagMask: CF } },
  { name: 'RCL r8 by 8 is RCR by 1', asm: 'rcl al, cl', regs: { rax: 0x01n, rcx: 8n },
    want: { regs: { rax: 0n }, flags: CF, flagMask: CF } },
  { name: 'RCL r16 counts go modulo 17', asm: 'rcl ax, cl; mov edx, eax; rcl dx, 1', regs: { rax: 0x1234n, rcx: 17n },
    want: { regs: { rax: 0x1234n, rdx: 0x2468n }, flags: 0, flagMask: CF } },
  { name: 'RCR r32 by 1 brings CF into the top bit', asm: 'rcr eax, 1', regs: { rax: 2n }, flags: CF,
    want: { regs: { rax: 0x80000001n }, flags: OF, flagMask: CF | OF } },
  { name: 'RCL r64 across the halves', asm: 'rcl rax, 33', regs: { rax: 0x8000000000000001n }, flags: CF,
    want: { regs: { rax: rclR }, flags: rclC ? CF : 0, flagMask: CF } },
  { name: 'RCR r64 by 63', asm: 'rcr rax, cl', regs: { rax: V, rcx: 63n }, flags: CF,
    want: { regs: { rax: rcrR }, flags: rcrC ? CF : 0, flagMask: CF } },
  { name: 'RCR qword in memory', asm: 'rcr qword ptr [rbx + 8], cl', regs: { rbx: DATA, rcx: 12n },
    data: [...le(0n, 8), ...le(0xfedcba9876543210n, 8)], want: { data: le(rcrMemR, 8), dataAt: 8 } },
  { name: 'ROR r16 by 1 sets OF from the top two bits', asm: 'ror ax, 1', regs: { rax: 0x0001n },
    want: { regs: { rax: 0x8000n }, flags: CF | OF, flagMask: CF | OF } },

  // ---- SHLD/SHRD ----
  { name: 'SHLD r32', asm: 'shld eax, ebx, 4', regs: { rax: 0x12345678n, rbx: 0x9abcdef0n },
    want: { regs: { rax: 0x23456789n }, flags: CF, flagMask: DEFINED } },
  { name: 'SHRD r64 across the halves', asm: 'shrd rax, rbx, cl', regs: { rax: 0x1122334455667788n, rbx: 0x99aabbccddeeff00n, rcx: 60n },
    want: { regs: { rax: ((0x1122334455667788n >> 60n) | (0x99aabbccddeeff00n << 4n)) & M64 } } },
  { name: 'SHLD r64 by 1 sets OF on a sign change', asm: 'shld rax, rbx, 1', regs: { rax: 0x4000000000000000n, rbx: 0x8000000000000000n },
    want: { regs: { rax: 0x8000000000000001n }, flags: OF | SF, flagMask: DEFINED | OF } },
  { name: 'SHLD with a masked count of 0 changes nothing', asm: 'shld ax, bx, cl', regs: { rax: 0x1234n, rbx: 0xabcdn, rcx: 32n },
    flags: ALL, want: { regs: { rax: 0x1234n }, flags: ALL } },
  { name: 'SHLD r16 by 16 gives the source', asm: 'shld ax, bx, 16', regs: { rax: 0x1235n, rbx: 0xabcdn },
    want: { regs: { rax: 0xabcdn }, flags: CF | SF, flagMask: DEFINED } },
  // Undefined in the SDM; the AMD host shifts d:s:s, i.e. rotates the source.
  { name: 'SHLD r16 beyond 16 (undefined): as the AMD host', asm: 'shld ax, bx, cl', regs: { rax: 0x1234n, rbx: 0xabcdn, rcx: 17n },
    want: { regs: { rax: 0x579bn } } },
  { name: 'SHRD r16 beyond 16 (undefined): as the AMD host', asm: 'shrd ax, bx, cl', regs: { rax: 0x1234n, rbx: 0xabcdn, rcx: 17n },
    want: { regs: { rax: 0xd5e6n } } },
  { name: 'SHRD dword in memory', asm: 'shrd dword ptr [rbx], ecx, 8', regs: { rbx: DATA, rcx: 0xabn }, data: le(0x12345678n, 4),
    want: { data: le(0xab123456n, 4), flags: SF | PF, flagMask: DEFINED } },
];

describeCases('shifts and rotates', cases);
