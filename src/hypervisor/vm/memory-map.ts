/**
 * The guest-physical layout tsvmi presents, like a small PC (and like QEMU's
 * `-kernel` boot): conventional memory, the BIOS area with the ACPI tables,
 * RAM from 1 MiB, and the APIC MMIO windows above RAM.
 */
import { E820, type MemoryRange } from './pvh.js';

/** The boot GDT (boot-gdt.ts) and the start info / multiboot info, written by the loader. */
export const BOOT_GDT_ADDR = 0x5000;
export const BOOT_INFO_ADDR = 0x6000;
/** ACPI tables (the RSDP first), in the BIOS area where guests also scan for "RSD PTR ". */
export const ACPI_ADDR = 0xe0000;
export const ACPI_SIZE = 0x10000;
const EBDA = 0x9fc00;

export function memoryMap(ramBytes: number): MemoryRange[] {
  return [
    { base: 0, size: EBDA, type: E820.RAM },
    { base: EBDA, size: 0xa0000 - EBDA, type: E820.RESERVED },
    { base: ACPI_ADDR, size: ACPI_SIZE, type: E820.ACPI },
    { base: 0x100000, size: ramBytes - 0x100000, type: E820.RAM },
  ];
}
