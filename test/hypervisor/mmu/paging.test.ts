/**
 * The 4-level page walk, permissions, #PF error codes and CR2, A/D bits, and
 * TLB flushing, against the rules of SDM Vol. 3A §4.5-§4.7 and §4.10.
 */
import assert from 'node:assert/strict';
import { StopReason } from '../../../src/hypervisor/cpu/cpu.js';
import { Reg } from '../../../src/hypervisor/cpu/regs.js';
import { Pte } from '../../../src/hypervisor/mmu/paging-bits.js';
import { assembleMany } from '../../support/asm.js';
import { getReg, runCode, setReg, testMachine, type TestMachine } from '../../support/machine.js';

const CODE = 0x100000;
const [LOAD, STORE, FETCH, RELOAD, RELOAD_AFTER_CR3, RELOAD_AFTER_INVLPG, LOAD16_SPLIT, RMW_ADD, RMW_INC, RMW_XCHG] = assembleMany([
  'mov rax, [rbx]; hlt',
  'mov qword ptr [rbx], rcx; hlt',
  'jmp rbx',
  'mov rax, [rbx]; mov rax, [rbx]; hlt',
  'mov rax, [rbx]; mov rdx, cr3; mov cr3, rdx; mov rax, [rbx]; hlt',
  'mov rax, [rbx]; invlpg [rbx]; mov rax, [rbx]; hlt',
  'mov eax, [rbx]; hlt',
  'cmp eax, eax; add [rbx], eax; hlt',
  'cmp eax, eax; inc qword ptr [rbx]; hlt',
  'cmp eax, eax; xchg [rbx], ecx; hlt',
]);

function machine(): TestMachine {
  return testMachine(64);
}

function pageFault(m: TestMachine): { err: number; cr2: number } {
  assert.equal(m.cpu.stopReason, StopReason.FAULT, 'expected a fault');
  assert.equal(m.cpu.lastFault!.vector, 14, 'expected #PF');
  return { err: m.cpu.lastFault!.errorCode, cr2: m.cpu.cr2 };
}

/** Find the leaf PTE of `la` (4 KiB mapping) by peeking the tables the builder made. */
function pteAddress(m: TestMachine, la: number): number {
  let table = m.pt.cr3;
  for (let level = 4; level > 1; level--) {
    const idx = Math.floor(la / 2 ** (12 + 9 * (level - 1))) & 511;
    table = (m.mem.view.getUint32(table + idx * 8, true) & ~0xfff) >>> 0;
  }
  return table + (Math.floor(la / 4096) & 511) * 8;
}

describe('mmu: 4-level paging', () => {
  it('translates 4 KiB, 2 MiB and 1 GiB pages, in both halves of the address space', () => {
    const m = machine();
    m.pt.map(0x7f0000001000, 0x2000000, 0x1000);
    m.pt.map(-0x80000000, 0x2200000, 0x200000, { pageSize: 0x200000 });     // 0xffffffff80000000
    m.pt.map(0x8000000000, 0, 0x40000000, { pageSize: 0x40000000 });        // 512 GiB -> 0
    m.mem.view.setUint32(0x2000010, 0x11111111, true);
    m.mem.view.setUint32(0x2200000 + 0x12345, 0x22222222, true);
    m.mem.view.setUint32(0x3300000, 0x33333333, true);
    for (const [la, want] of [[0x7f0000001010, 0x11111111n], [-0x80000000 + 0x12345, 0x22222222n], [0x8000000000 + 0x3300000, 0x33333333n]] as const) {
      setReg(m.cpu, Reg.RBX, BigInt.asUintN(64, BigInt(la)));
      runCode(m, LOAD!, CODE);
      assert.equal(m.cpu.stopReason, StopReason.HALT);
      assert.equal(getReg(m.cpu, Reg.RAX) & 0xffffffffn, want, `load at ${la.toString(16)}`);
    }
    assert.equal(m.cpu.mmu.peekTranslate(-0x80000000 + 0x12345), 0x2212345);
  });

  it('raises #PF with error code 0 and CR2 for a not-present page', () => {
    const m = machine();
    setReg(m.cpu, Reg.RBX, 0x40000123n);
    runCode(m, LOAD!, CODE);
    assert.deepEqual(pageFault(m), { err: 0, cr2: 0x40000123 });
    assert.equal(m.cpu.rip, CODE, 'RIP stays on the faulting instruction');
  });

  it('honours CR0.WP for supervisor writes to read-only pages', () => {
    const m = machine();
    m.pt.map(0x40000000, 0x2000000, 0x1000, { writable: false });
    setReg(m.cpu, Reg.RBX, 0x40000008n);
    runCode(m, STORE!, CODE);
    assert.deepEqual(pageFault(m), { err: 0b11, cr2: 0x40000008 }, 'P|W');
    m.cpu.cr0 &= ~(1 << 16);
    m.cpu.updatePaging();
    setReg(m.cpu, Reg.RCX, 0x1234n);
    runCode(m, STORE!, CODE);
    assert.equal(m.cpu.stopReason, StopReason.HALT, 'WP=0: the write goes through');
    assert.equal(m.mem.view.getUint32(0x2000008, true), 0x1234);
  });

  it('faults a read-modify-write of a read-only page as a write, before changing anything', () => {
    for (const code of [RMW_ADD!, RMW_INC!, RMW_XCHG!]) {
      const m = machine();
      m.pt.map(0x40000000, 0x2000000, 0x1000, { writable: false });
      setReg(m.cpu, Reg.RBX, 0x40000010n);
      setReg(m.cpu, Reg.RCX, 0x77n);
      m.mem.view.setUint32(0x2000010, 5, true);
      runCode(m, code, CODE);
      assert.deepEqual(pageFault(m), { err: 0b11, cr2: 0x40000010 });
      assert.equal(m.cpu.getRflags() & 0x40, 0x40, 'ZF from the cmp survives: the faulting instruction set no flags');
      assert.equal(getReg(m.cpu, Reg.RCX), 0x77n, 'xchg wrote no register');
      assert.equal(m.mem.view.getUint32(0x2000010, true), 5);
    }
  });

  it('refuses user access to supervisor pages (P|U) and user writes to read-only ones (P|W|U)', () => {
    const m = machine();
    m.pt.map(0x50000000, 0x2000000, 0x1000, { user: true });              // user code
    m.pt.map(0x50001000, 0x2001000, 0x1000, { user: false });             // supervisor data
    m.pt.map(0x50002000, 0x2002000, 0x1000, { user: true, writable: false });
    m.mem.writeBytes(0x2000000, LOAD!);
    m.cpu.setCpl(3);
    m.cpu.rip = 0x50000000;
    setReg(m.cpu, Reg.RBX, 0x50001000n);
    m.cpu.run(10);
    assert.deepEqual(pageFault(m), { err: 0b101, cr2: 0x50001000 });
    m.mem.writeBytes(0x2000000, STORE!);
    m.cpu.rip = 0x50000000;
    setReg(m.cpu, Reg.RBX, 0x50002000n);
    m.cpu.run(10);
    assert.deepEqual(pageFault(m), { err: 0b111, cr2: 0x50002000 });
  });

  it('refuses instruction fetch from NX pages with P|I', () => {
    const m = machine();
    m.pt.map(0x60000000, 0x2000000, 0x1000, { noExec: true });
    setReg(m.cpu, Reg.RBX, 0x60000000n);
    runCode(m, FETCH!, CODE);
    assert.deepEqual(pageFault(m), { err: 0b10001, cr2: 0x60000000 });
    assert.equal(m.cpu.rip, 0x60000000, 'the fetch faults at the target, after the jump retired');
  });

  it('reports reserved bits with P|RSVD', () => {
    const m = machine();
    m.pt.map(0x40000000, 0x2000000, 0x1000);
    const pte = pteAddress(m, 0x40000000);
    m.mem.view.setUint32(pte + 4, 1 << (45 - 32), true); // bit 45 is above MAXPHYADDR (40)
    setReg(m.cpu, Reg.RBX, 0x40000000n);
    runCode(m, LOAD!, CODE);
    assert.deepEqual(pageFault(m), { err: 0b1001, cr2: 0x40000000 });
  });

  it('sets Accessed on reads and Dirty on writes, but never from peek', () => {
    const m = machine();
    m.pt.map(0x40000000, 0x2000000, 0x1000);
    const pte = pteAddress(m, 0x40000000);
    const flags = (): number => m.mem.view.getUint32(pte, true) & (Pte.A | Pte.D);
    assert.ok(m.cpu.mmu.peek(0x40000000, 16));
    assert.equal(flags(), 0, 'peek has no side effects');
    setReg(m.cpu, Reg.RBX, 0x40000000n);
    runCode(m, LOAD!, CODE);
    assert.equal(flags(), Pte.A);
    runCode(m, STORE!, CODE);
    assert.equal(flags(), Pte.A | Pte.D, 'the first write after a read-filled TLB entry still sets D');
  });

  it('keeps stale translations until MOV CR3 or INVLPG flushes them', () => {
    for (const [code, flushed] of [[RELOAD!, false], [RELOAD_AFTER_CR3!, true], [RELOAD_AFTER_INVLPG!, true]] as const) {
      const m = machine();
      m.pt.map(0x40000000, 0x2000000, 0x1000);
      m.mem.view.setUint32(0x2000000, 0xaaaa, true);
      m.mem.view.setUint32(0x2001000, 0xbbbb, true);
      setReg(m.cpu, Reg.RBX, 0x40000000n);
      // Retarget the PTE between the two loads, from "outside" (as another CPU would).
      m.mem.writeBytes(CODE, code);
      m.cpu.rip = CODE;
      m.cpu.run(1);
      assert.equal(getReg(m.cpu, Reg.RAX), 0xaaaan);
      m.mem.view.setUint32(pteAddress(m, 0x40000000), 0x2001000 | Pte.P | Pte.RW | Pte.A, true);
      m.cpu.run(10);
      assert.equal(m.cpu.stopReason, StopReason.HALT);
      assert.equal(getReg(m.cpu, Reg.RAX), flushed ? 0xbbbbn : 0xaaaan);
    }
  });

  it('splits an access that straddles two pages mapped to distant frames', () => {
    const m = machine();
    m.pt.map(0x40000000, 0x2005000, 0x1000);
    m.pt.map(0x40001000, 0x2002000, 0x1000);
    m.mem.writeBytes(0x2005ffe, Uint8Array.of(0x11, 0x22));
    m.mem.writeBytes(0x2002000, Uint8Array.of(0x33, 0x44));
    setReg(m.cpu, Reg.RBX, 0x40000ffen);
    runCode(m, LOAD16_SPLIT!, CODE);
    assert.equal(getReg(m.cpu, Reg.RAX), 0x44332211n);
    assert.deepEqual([...m.cpu.mmu.peek(0x40000ffe, 4)!], [0x11, 0x22, 0x33, 0x44]);
    setReg(m.cpu, Reg.RBX, 0x40001ffen); // second page unmapped: the fault names the first unmapped byte
    runCode(m, LOAD16_SPLIT!, CODE);
    assert.deepEqual(pageFault(m), { err: 0, cr2: 0x40002000 });
  });
});
