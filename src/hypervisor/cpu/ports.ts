/** Port I/O as the CPU sees it: IN/OUT and the string forms call through this. */
export interface PortIo {
  /** Read `size` bytes (1, 2 or 4) from `port`. Unclaimed ports read as all ones. */
  portIn(port: number, size: number): number;
  portOut(port: number, size: number, value: number): void;
}

/** A bus with no devices: reads float high, writes vanish (what an empty ISA bus does). */
export const NO_PORTS: PortIo = {
  portIn: (_port, size) => (size === 1 ? 0xff : size === 2 ? 0xffff : -1),
  portOut: () => {},
};
