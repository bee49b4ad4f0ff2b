/**
 * The I/O-port bus. Devices claim port ranges; the CPU's IN/OUT go through
 * here. One device per file implements `BusDevice`.
 */
import type { PortIo } from '../cpu/ports.js';

export interface BusDevice {
  readonly name: string;
  /** Read `size` bytes at `offset` from the device's first port. */
  portRead(offset: number, size: number): number;
  portWrite(offset: number, size: number, value: number): void;
}

interface Claim { base: number; count: number; dev: BusDevice }

export class PortBus implements PortIo {
  private readonly claims: Claim[] = [];
  /** Direct lookup: port -> claim index + 1 (0 = unclaimed). */
  private readonly map = new Uint16Array(0x10000);

  attach(base: number, count: number, dev: BusDevice): void {
    for (let p = base; p < base + count; p++) {
      if (this.map[p]) throw new Error(`port 0x${p.toString(16)} is already claimed by ${this.claims[this.map[p]! - 1]!.dev.name}`);
    }
    this.claims.push({ base, count, dev });
    this.map.fill(this.claims.length, base, base + count);
  }

  portIn(port: number, size: number): number {
    const idx = this.map[port]!;
    if (idx === 0) return size === 1 ? 0xff : size === 2 ? 0xffff : -1;
    const c = this.claims[idx - 1]!;
    return c.dev.portRead(port - c.base, size);
  }

  portOut(port: number, size: number, value: number): void {
    const idx = this.map[port]!;
    if (idx === 0) return;
    const c = this.claims[idx - 1]!;
    c.dev.portWrite(port - c.base, size, value);
  }
}
