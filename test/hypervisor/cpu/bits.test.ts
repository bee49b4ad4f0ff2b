/** BT/BTS/BTR/BTC, BSF/BSR, TZCNT/LZCNT/POPCNT, BSWAP: SDM corner cases. */
import { AF, CF, DATA, OF, PF, SF, ZF, describeCases, type Case } from './insn-cases.js';

const M64 = (1n << 64n) - 1n;
const UD = 6, GP = 13;
const ALL = CF | PF | AF | ZF | SF | OF;
const bytes = (n: number, fill = 0): number[] => new Array<number>(n).fill(fill);

const cases: Case[] = [
  // ---- BT family, register destinations ----
  { name: 'BT r32 takes the offset modulo 32 and sets only CF', asm: 'bt eax, ecx', regs: { rax: 8n, rcx: 35n }, flags: ZF | SF | OF | PF | AF,
    want: { regs: { rax: 8n }, flags: CF | ZF | SF | OF | PF | AF } },
  { name: 'BT r32 leaves the upper half (it writes nothing)', asm: 'bt eax, 0', regs: { rax: 0xffff_0000_0000n },
    want: { regs: { rax: 0xffff_0000_0000n }, flags: 0, flagMask: CF } },
  { name: 'BTS r64 bit 63', asm: 'bts rax, 63', regs: { rax: 1n }, want: { regs: { rax: 0x8000000000000001n }, flags: 0, flagMask: CF } },
  { name: 'BTR r64 with a register offset modulo 64', asm: 'btr rax, rcx', regs: { rax: M64, rcx: 64n + 40n },
    want: { regs: { rax: M64 ^ (1n << 40n) }, flags: CF, flagMask: CF } },
  { name: 'BTC r32 zero-extends', asm: 'btc eax, 31', regs: { rax: 0xffff_ffff_0000_0000n },
    want: { regs: { rax: 0x80000000n }, flags: 0, flagMask: CF } },
  { name: 'BTS r16 keeps the upper bits', asm: 'bts ax, cx', regs: { rax: 0xabcd_0000n, rcx: 0x1fn },
    want: { regs: { rax: 0xabcd_8000n }, flags: 0, flagMask: CF } },

  // ---- BT family, memory: the register offset is a signed bit index into a string ----
  { name: 'BT m32 with a large positive register offset', asm: 'bt dword ptr [rbx], ecx', regs: { rbx: DATA, rcx: 8n * 20n + 3n },
    data: [...bytes(20), 0x08], want: { flags: CF, flagMask: CF } },
  { name: 'BTR m32 with offset -1 clears bit 31 of the dword below', asm: 'btr dword ptr [rbx], ecx', regs: { rbx: DATA + 16n, rcx: -1n },
    data: bytes(20, 0xff), want: { data: [0xff, 0xff, 0xff, 0x7f, 0xff], dataAt: 12, flags: CF, flagMask: CF } },
  { name: 'BTS m64 with offset -65 sets bit 63 of the qword 16 bytes below', asm: 'bts qword ptr [rbx], rcx', regs: { rbx: DATA + 16n, rcx: -65n },
    want: { data: [...bytes(7), 0x80, ...bytes(9)], flags: 0, flagMask: CF } },
  { name: 'BTC m16 with offset -17', asm: 'btc word ptr [rbx + 4], cx', regs: { rbx: DATA, rcx: 0xffefn },
    data: [0, 0, 0, 0, 0xaa], want: { data: [0, 0x80, 0, 0, 0xaa], flags: 0, flagMask: CF } },
  { name: 'BT m32 with an immediate takes it modulo 32 (no string addressing)', asm: 'bts dword ptr [rbx], 35', regs: { rbx: DATA },
    want: { data: [0x08, 0, 0, 0, 0], flags: 0, flagMask: CF } },
  { name: 'LOCK BTS m64', asm: 'lock bts qword ptr [rbx], rcx', regs: { rbx: DATA, rcx: 9n },
    data: bytes(8), want: { data: [0, 0x02, 0, 0, 0, 0, 0, 0], flags: 0, flagMask: CF } },
  { name: 'LOCK BT is #UD', asm: '.byte 0xf0; bt dword ptr [rbx], ecx', regs: { rbx: DATA }, want: { fault: UD } },
  { name: 'LOCK BTS with a register destination is #UD', asm: '.byte 0xf0; bts eax, ecx', want: { fault: UD } },
  { name: 'a bit string reaching non-canonical addresses is #GP', asm: 'bt qword ptr [rbx], rcx', regs: { rbx: DATA, rcx: 1n << 62n },
    want: { fault: GP } },

  // ---- BSF/BSR ----
  { name: 'BSF r32', asm: 'bsf eax, ecx', regs: { rcx: 0x80000000n }, want: { regs: { rax: 31n }, flags: 0, flagMask: ZF } },
  { name: 'BSF of 0 leaves the destination, even its upper half, and sets ZF', asm: 'bsf eax, ecx', regs: { rax: 0xdead_beef_cafe_f00dn, rcx: 0n },
    want: { regs: { rax: 0xdead_beef_cafe_f00dn }, flags: ZF, flagMask: ZF } },
  { name: 'BSR of 0 leaves the destination', asm: 'bsr rax, qword ptr [rbx]', regs: { rax: 7n, rbx: DATA }, want: { regs: { rax: 7n }, flags: ZF, flagMask: ZF } },
  { name: 'BSF r64 finds a bit in the high half', asm: 'bsf rax, rcx', regs: { rax: M64, rcx: 0x0010_0000_0000_0000n },
    want: { regs: { rax: 52n }, flags: 0, flagMask: ZF } },
  { name: 'BSR r64', asm: 'bsr rax, rcx', regs: { rcx: 0x8000_0000_0000_0001n }, want: { regs: { rax: 63n } } },
  { name: 'BSR r16 keeps the upper bits', asm: 'bsr ax, cx', regs: { rax: 0x5555_0000n, rcx: 0x0100n }, want: { regs: { rax: 0x5555_0008n } } },

  // ---- TZCNT/LZCNT/POPCNT (F3 0F BC/BD/B8) ----
  { name: 'TZCNT of 0 is the width and sets CF', asm: 'tzcnt eax, ecx', regs: { rax: M64, rcx: 0n },
    want: { regs: { rax: 32n }, flags: CF, flagMask: CF | ZF } },
  { name: 'TZCNT r64 sets ZF for a count of 0', asm: 'tzcnt rax, rcx', regs: { rcx: 1n }, want: { regs: { rax: 0n }, flags: ZF, flagMask: CF | ZF } },
  { name: 'TZCNT r16 (66 F3 0F BC)', asm: 'tzcnt ax, cx', regs: { rax: 0x1234_0000n, rcx: 0x1_0000n },
    want: { regs: { rax: 0x1234_0010n }, flags: CF, flagMask: CF | ZF } },
  { name: 'LZCNT r64 across the halves', asm: 'lzcnt rax, rcx', regs: { rcx: 0x8000_0000n }, want: { regs: { rax: 32n }, flags: 0, flagMask: CF | ZF } },
  { name: 'LZCNT r16', asm: 'lzcnt ax, cx', regs: { rcx: 0x00ffn }, want: { regs: { rax: 8n } } },
  { name: 'LZCNT of 0', asm: 'lzcnt rax, rcx', want: { regs: { rax: 64n }, flags: CF, flagMask: CF | ZF } },
  { name: 'POPCNT r64 clears every flag but ZF', asm: 'popcnt rax, rcx', regs: { rcx: M64 }, flags: ALL, want: { regs: { rax: 64n }, flags: 0 } },
  { name: 'POPCNT of 0 sets ZF', asm: 'popcnt eax, dword ptr [rbx]', regs: { rax: 5n, rbx: DATA }, want: { regs: { rax: 0n }, flags: ZF } },
  { name: 'POPCNT r16', asm: 'popcnt ax, cx', regs: { rcx: 0xf0f0_8001n }, want: { regs: { rax: 2n } } },
  { name: '0F B8 without F3 is #UD', asm: '.byte 0x0f, 0xb8, 0xc1', want: { fault: UD } },

  // ---- BSWAP ----
  { name: 'BSWAP r32 zero-extends', asm: 'bswap eax', regs: { rax: 0xffff_ffff_1122_3344n }, want: { regs: { rax: 0x4433_2211n } } },
  { name: 'BSWAP r64', asm: 'bswap rdx', regs: { rdx: 0x0102_0304_0506_0708n }, want: { regs: { rdx: 0x0807_0605_0403_0201n } } },
  { name: 'BSWAP r12 (REX.B)', asm: 'bswap r12', regs: { r12: 0x0102_0304_0506_0708n }, want: { regs: { r12: 0x0807_0605_0403_0201n } } },
  { name: 'BSWAP r8d', asm: 'bswap r8d', regs: { r8: 0xaabbccddn }, want: { regs: { r8: 0xddccbbaan } } },
  { name: 'BSWAP r16 (undefined) zeroes the word, as the host does', asm: '.byte 0x66; bswap ebx', regs: { rbx: 0x1122_3344_5566_7788n },
    want: { regs: { rbx: 0x1122_3344_5566_0000n } } },
];

describeCases('bit instructions', cases);
