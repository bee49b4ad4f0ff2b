/**
 * Boot protocols: the PVH note and start info (Xen's start_info.h), the
 * Multiboot v1 header and information structure (Multiboot 0.6.96 §3.1-§3.3),
 * and a clear refusal of images with neither. Kernels are made by gcc/ld here.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cpu } from '../../../src/hypervisor/cpu/cpu.js';
import { opcodeTable } from '../../../src/hypervisor/cpu/ops/index.js';
import { Reg, Seg } from '../../../src/hypervisor/cpu/regs.js';
import { PhysicalMemory } from '../../../src/hypervisor/mmu/physical.js';
import { LoaderError } from '../../../src/hypervisor/vm/errors.js';
import { BootProtocol, loadKernel } from '../../../src/hypervisor/vm/loader.js';
import { HVM_START_MAGIC } from '../../../src/hypervisor/vm/pvh.js';
import { MULTIBOOT_BOOTLOADER_MAGIC } from '../../../src/hypervisor/vm/multiboot.js';

/** Link a tiny 32-bit kernel at 1 MiB from assembly, with an optional PVH note or Multiboot header. */
function kernel(kind: 'pvh' | 'multiboot' | 'none'): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'tsvmi-loader-'));
  const note = kind === 'pvh'
    ? `.pushsection .note.pvh, "a"\n.balign 4\n.long 4, 4, 18\n.asciz "Xen"\n.long _start\n.popsection\n` : '';
  const mb = kind === 'multiboot'
    ? `.pushsection .text.mb, "ax"\n.balign 4\n.long 0x1BADB002, 0x00000003, -(0x1BADB002 + 0x00000003)\n.popsection\n` : '';
  writeFileSync(join(dir, 'k.S'), `${note}${mb}.code32\n.text\n.globl _start\n_start: hlt\n`);
  writeFileSync(join(dir, 'k.ld'), 'ENTRY(_start)\nSECTIONS { . = 0x100000; .text : { *(.text.mb) *(.text) } .note : { *(.note.pvh) } }\n');
  execFileSync('gcc', ['-m32', '-c', '-o', join(dir, 'k.o'), join(dir, 'k.S')]);
  execFileSync('ld', ['-m', 'elf_i386', '-T', join(dir, 'k.ld'), '-o', join(dir, 'k32.elf'), join(dir, 'k.o')]);
  // A 64-bit ELF container around 32-bit code, as `-kernel` images built for x86-64 are.
  execFileSync('objcopy', ['-O', 'elf64-x86-64', join(dir, 'k32.elf'), join(dir, 'k.elf')]);
  return readFileSync(join(dir, 'k.elf'));
}

function load(image: Uint8Array): { cpu: Cpu; mem: PhysicalMemory; protocol: string } {
  const mem = new PhysicalMemory(16 << 20);
  const cpu = new Cpu(mem, opcodeTable());
  const { protocol } = loadKernel(cpu, mem, image, { rsdp: 0xe0000, cmdline: 'console=ttyS0' });
  return { cpu, mem, protocol };
}

describe('kernel loader', () => {
  it('boots a PVH kernel in flat 32-bit protected mode with hvm_start_info in EBX', () => {
    const { cpu, mem, protocol } = load(kernel('pvh'));
    assert.equal(protocol, BootProtocol.PVH);
    assert.equal(cpu.rip, 0x100000);
    assert.equal(cpu.codeBits, 32);
    assert.equal(cpu.cr0 & 0x80000001, 1, 'PE set, PG clear');
    assert.equal(cpu.segBase[Seg.CS], 0);
    const info = cpu.lo[Reg.RBX]!;
    const v = mem.view;
    assert.equal(v.getUint32(info, true), HVM_START_MAGIC);
    assert.equal(v.getUint32(info + 4, true), 1, 'version 1: memory map present');
    assert.equal(v.getUint32(info + 32, true), 0xe0000, 'rsdp_paddr');
    const cmd = v.getUint32(info + 24, true);
    assert.equal(new TextDecoder().decode(mem.bytes.subarray(cmd, cmd + 13)), 'console=ttyS0');
    const entries = v.getUint32(info + 48, true), map = v.getUint32(info + 40, true);
    const ram = [...Array(entries).keys()].map((k) => ({ base: v.getUint32(map + k * 24, true), size: v.getUint32(map + k * 24 + 8, true), type: v.getUint32(map + k * 24 + 16, true) }));
    assert.deepEqual(ram.find((r) => r.base === 0x100000), { base: 0x100000, size: (16 << 20) - 0x100000, type: 1 });
  });

  it('boots a Multiboot v1 kernel with EAX = 0x2BADB002 and the info structure in EBX', () => {
    const { cpu, mem, protocol } = load(kernel('multiboot'));
    assert.equal(protocol, BootProtocol.MULTIBOOT);
    assert.equal(cpu.lo[Reg.RAX]! >>> 0, MULTIBOOT_BOOTLOADER_MAGIC);
    const info = cpu.lo[Reg.RBX]!, v = mem.view;
    const flags = v.getUint32(info, true);
    assert.ok(flags & 1 && flags & 0x40, 'mem_* and mmap_* valid');
    assert.equal(v.getUint32(info + 4, true), 639, 'mem_lower in KiB');
    assert.equal(v.getUint32(info + 8, true), 15 * 1024, 'mem_upper in KiB above 1 MiB');
    assert.equal(v.getUint32(v.getUint32(info + 48, true), true), 20, 'mmap entries start with their size');
  });

  it('refuses an ELF with neither protocol, saying why', () => {
    assert.throws(() => load(kernel('none')), (e: unknown) => e instanceof LoaderError && /neither a Xen PVH entry note .* nor a Multiboot header/.test(e.message));
  });
});
