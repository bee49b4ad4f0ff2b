/**
 * A GDT in guest memory matching the segment state the PVH and Multiboot
 * entries load (reset.ts enterFlat32), so that LAR/LSL on the boot selectors
 * and a reload of them work as they do under QEMU's loaders. The protocols
 * leave the GDT itself unspecified; a kernel installs its own before it
 * changes segments.
 */
import type { Cpu } from '../cpu/cpu.js';
import type { PhysicalMemory } from '../mmu/physical.js';

/** Null, 0x08 flat 32-bit code, 0x10 flat data, 0x18 busy 32-bit TSS (base 0, limit 0x67). */
const ENTRIES: [number, number][] = [
  [0, 0],
  [0x0000ffff, 0x00cf9b00],
  [0x0000ffff, 0x00cf9300],
  [0x00000067, 0x00008b00],
];

export function installBootGdt(cpu: Cpu, mem: PhysicalMemory, at: number): void {
  ENTRIES.forEach(([lo, hi], k) => {
    mem.view.setUint32(at + k * 8, lo, true);
    mem.view.setUint32(at + k * 8 + 4, hi, true);
  });
  cpu.gdtBase = at;
  cpu.gdtLimit = ENTRIES.length * 8 - 1;
}
