/**
 * 32-bit protected mode with paging: 32-bit paging with 4 KiB and 4 MiB (PSE)
 * pages (SDM Vol. 3A §4.3) and PAE paging (§4.4), entered the way a kernel
 * does from the flat 32-bit state of the PVH and Multiboot protocols.
 */
import assert from 'node:assert/strict';
import { Cpu, StopReason } from '../../../src/hypervisor/cpu/cpu.js';
import { opcodeTable } from '../../../src/hypervisor/cpu/ops/index.js';
import { Reg } from '../../../src/hypervisor/cpu/regs.js';
import { enterFlat32 } from '../../../src/hypervisor/cpu/reset.js';
import { PhysicalMemory } from '../../../src/hypervisor/mmu/physical.js';
import { assembleMany } from '../../support/asm.js';

const CODE = 0x1000, PD = 0x10000, PT = 0x11000, PDPT = 0x12000, PAE_PD = 0x13000, PAE_PT = 0x14000;
const P = 1, RW = 2, PS = 0x80;

function flat32(): { cpu: Cpu; mem: PhysicalMemory } {
  const mem = new PhysicalMemory(16 << 20);
  const cpu = new Cpu(mem, opcodeTable());
  enterFlat32(cpu);
  cpu.onException = () => false;
  return { cpu, mem };
}

const [LEGACY, PAE] = assembleMany([
  // CR3 = page directory; CR4.PSE; CR0.PG|WP. Then read through the 4 KiB and 4 MiB mappings,
  // and write to the read-only page (a #PF with P|W).
  `.code32; mov eax, ${PD}; mov cr3, eax; mov eax, cr4; or eax, 0x10; mov cr4, eax;` +
  'mov eax, cr0; or eax, 0x80010000; mov cr0, eax;' +
  'mov ebx, [0x00400010]; mov ecx, [0x00c00020]; mov dword ptr [0x00401000], 1; hlt',
  // CR4.PAE, CR3 = PDPT; same reads through a 2 MiB and a 4 KiB PAE mapping.
  `.code32; mov eax, cr4; or eax, 0x20; mov cr4, eax; mov eax, ${PDPT}; mov cr3, eax;` +
  'mov eax, cr0; or eax, 0x80010000; mov cr0, eax;' +
  'mov ebx, [0x40000010]; mov ecx, [0x40200020]; hlt',
]);

describe('mmu: 32-bit and PAE paging', () => {
  it('walks 32-bit paging with 4 KiB and 4 MiB pages and reports #PF as the SDM says', () => {
    const { cpu, mem } = flat32();
    const v = mem.view;
    v.setUint32(PD + 0 * 4, 0x000000 | P | RW | PS, true);   // 0-4 MiB identity (4 MiB page)
    v.setUint32(PD + 1 * 4, PT | P | RW, true);              // 4-8 MiB through a page table
    v.setUint32(PD + 3 * 4, 0x400000 | P | RW | PS, true);   // 12-16 MiB -> 4 MiB physical
    v.setUint32(PT + 0 * 4, 0x200000 | P | RW, true);        // 0x400000 -> 0x200000
    v.setUint32(PT + 1 * 4, 0x201000 | P, true);             // 0x401000 -> 0x201000, read-only
    v.setUint32(0x200010, 0x11112222, true);
    v.setUint32(0x400020, 0x33334444, true);
    mem.writeBytes(CODE, LEGACY!);
    cpu.rip = CODE;
    cpu.run(100);
    assert.equal(cpu.lo[Reg.RBX]! >>> 0, 0x11112222);
    assert.equal(cpu.lo[Reg.RCX]! >>> 0, 0x33334444);
    assert.equal(cpu.stopReason, StopReason.FAULT);
    assert.deepEqual([cpu.lastFault!.vector, cpu.lastFault!.errorCode, cpu.cr2], [14, 0b11, 0x401000]);
    assert.equal(cpu.mmu.peekTranslate(0x400010), 0x200010);
  });

  it('walks PAE paging with 2 MiB and 4 KiB pages', () => {
    const { cpu, mem } = flat32();
    const v = mem.view;
    v.setUint32(PDPT + 0 * 8, PAE_PD | P, true);                 // 0-1 GiB
    v.setUint32(PDPT + 1 * 8, PAE_PD | P, true);                 // 1-2 GiB: the same directory
    v.setUint32(PAE_PD + 0 * 8, 0x000000 | P | RW | PS, true);   // 0-2 MiB identity (code)
    v.setUint32(PAE_PD + 1 * 8, PAE_PT | P | RW, true);          // 2-4 MiB through a page table
    v.setUint32(PAE_PT + 0 * 8, 0x300000 | P | RW, true);        // 0x40200000 -> 0x300000
    v.setUint32(0x000010, 0x55556666, true);
    v.setUint32(0x300020, 0x77778888, true);
    mem.writeBytes(CODE, PAE!);
    cpu.rip = CODE;
    cpu.run(100);
    assert.equal(cpu.stopReason, StopReason.HALT);
    assert.equal(cpu.lo[Reg.RBX]! >>> 0, 0x55556666, '0x40000010 through the 2 MiB page at 1 GiB');
    assert.equal(cpu.lo[Reg.RCX]! >>> 0, 0x77778888);
  });
});
