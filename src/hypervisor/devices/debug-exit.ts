/**
 * QEMU's `isa-debug-exit` device (port 0xf4 by default): a write of `v` ends the
 * machine with exit status `(v << 1) | 1`, so a guest can report success or
 * failure to the host the same way under QEMU and under tsvmi.
 */
import type { BusDevice } from './bus.js';

export const DEBUG_EXIT_PORT = 0xf4;

export class DebugExit implements BusDevice {
  readonly name = 'isa-debug-exit';
  constructor(private readonly onExit: (status: number) => void) {}

  portRead(): number {
    return 0xff;
  }

  portWrite(_offset: number, size: number, value: number): void {
    const v = size === 4 ? value >>> 0 : value & (size === 2 ? 0xffff : 0xff);
    this.onExit(((v << 1) | 1) & 0xff);
  }
}
