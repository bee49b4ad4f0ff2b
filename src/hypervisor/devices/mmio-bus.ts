/**
 * Memory-mapped devices above RAM: the I/O APIC, and anything else that claims
 * a physical range. (Each vCPU's local APIC is routed by its own MMU: it is
 * per-CPU state at one shared address.)
 */
import type { MmioHandler } from '../mmu/physical.js';

export interface MmioDevice {
  readonly name: string;
  /** Read `size` (1, 2, 4) bytes at `offset` into the device's range. */
  mmioRead(offset: number, size: number): number;
  mmioWrite(offset: number, size: number, value: number): void;
}

interface Region { base: number; size: number; dev: MmioDevice }

export class MmioBus implements MmioHandler {
  private readonly regions: Region[] = [];

  attach(base: number, size: number, dev: MmioDevice): void {
    for (const r of this.regions) {
      if (base < r.base + r.size && r.base < base + size) throw new Error(`MMIO range 0x${base.toString(16)} overlaps ${r.dev.name}`);
    }
    this.regions.push({ base, size, dev });
  }

  private find(pa: number): Region | undefined {
    for (const r of this.regions) if (pa >= r.base && pa < r.base + r.size) return r;
    return undefined;
  }

  mmioRead(pa: number, size: number): number | undefined {
    const r = this.find(pa);
    return r ? r.dev.mmioRead(pa - r.base, size) : undefined;
  }

  mmioWrite(pa: number, size: number, value: number): boolean {
    const r = this.find(pa);
    if (!r) return false;
    r.dev.mmioWrite(pa - r.base, size, value);
    return true;
  }
}
