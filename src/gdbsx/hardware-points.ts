/**
 * gdb's hardware breakpoints and watchpoints (Z1-Z4) as the vCPUs' own debug
 * registers: DR0-DR3 hold the addresses, DR7 enables and types them (SDM Vol.
 * 3B §17.2.4-17.2.5), and the #DB they raise reports which fired in DR6's
 * B0-B3 (§17.2.3). A watched range is covered by naturally aligned 1, 2, 4 or 8
 * byte pieces, one register each; four registers are all there is.
 *
 * x86 has no read-only data breakpoint: a read watchpoint (Z3) watches reads
 * and writes, and gdb itself ignores the hits that changed the value (it
 * assumes those were writes), as it does on native x86.
 */
import type { RegisterUpdate, Registers } from '../introspect/index.js';

/** The Z packet types (gdb manual, "Packets": z type). */
export const PointType = { SOFTWARE: 0, HARDWARE: 1, WRITE: 2, READ: 3, ACCESS: 4 } as const;
export type HardwarePointType = 1 | 2 | 3 | 4;

export interface HardwarePoint { type: HardwarePointType; addr: bigint; length: number }

/** DR7 R/W field values (§17.2.4): 00 execute, 01 write, 11 read or write. */
const RW: Readonly<Record<HardwarePointType, number>> = { 1: 0b00, 2: 0b01, 3: 0b11, 4: 0b11 };
/** DR7 LEN field values (§17.2.5): 1, 2, 8 and 4 bytes are 00, 01, 10 and 11. */
const LEN: Readonly<Record<number, number>> = { 1: 0b00, 2: 0b01, 8: 0b10, 4: 0b11 };

export class HardwarePoints {
  /** DR0-DR3: the point each register serves, and the piece of it. */
  private readonly slots: ({ point: HardwarePoint; addr: bigint; length: number } | undefined)[] = [undefined, undefined, undefined, undefined];

  get empty(): boolean { return this.slots.every((s) => s === undefined); }

  /** Add a point; false when the registers left cannot hold it. Adding one twice changes nothing. */
  insert(point: HardwarePoint): boolean {
    if (this.find(point) !== undefined) return true;
    const pieces = point.type === PointType.HARDWARE ? [{ addr: point.addr, length: 1 }] : cover(point.addr, point.length);
    const free = this.slots.flatMap((s, n) => (s ? [] : [n]));
    if (pieces.length > free.length) return false;
    pieces.forEach((piece, k) => { this.slots[free[k]!] = { point, ...piece }; });
    return true;
  }

  remove(point: HardwarePoint): void {
    const found = this.find(point);
    this.slots.forEach((s, n) => { if (s && s.point === found) this.slots[n] = undefined; });
  }

  /** Whether this very point (not an equal one added since) is still set. */
  has(point: HardwarePoint): boolean { return this.slots.some((s) => s?.point === point); }

  clear(): void { this.slots.fill(undefined); }

  /** The debug registers that arm the points (unused ones zero and disabled). */
  registers(): Partial<RegisterUpdate> {
    let dr7 = 0n;
    const addr = this.slots.map((s) => s?.addr ?? 0n);
    this.slots.forEach((s, n) => {
      if (!s) return;
      const len = s.point.type === PointType.HARDWARE ? 0 : LEN[s.length]!;
      dr7 |= (1n << BigInt(2 * n)) | (BigInt(RW[s.point.type] | (len << 2)) << BigInt(16 + 4 * n));
    });
    return { dr0: addr[0], dr1: addr[1], dr2: addr[2], dr3: addr[3], dr7 };
  }

  /** The point whose register a #DB's B0-B3 bits name. */
  hit(bits: number): HardwarePoint | undefined {
    for (let n = 0; n < 4; n++) if ((bits >> n) & 1 && this.slots[n]) return this.slots[n]!.point;
    return undefined;
  }

  private find(p: HardwarePoint): HardwarePoint | undefined {
    return this.slots.find((s) => s && s.point.type === p.type && s.point.addr === p.addr && s.point.length === p.length)?.point;
  }
}

/** The B0-B3 bits of a debug-exception event: the VMX exit qualification's, or DR6's on svm. */
export function breakpointBits(pendingDbg: bigint, regs: Registers): number {
  return Number((pendingDbg !== 0n ? pendingDbg : regs.dr6) & 0xfn);
}

/** [addr, addr + length) as naturally aligned pieces of 8, 4, 2 or 1 bytes. */
export function cover(addr: bigint, length: number): Array<{ addr: bigint; length: number }> {
  const out: Array<{ addr: bigint; length: number }> = [];
  let at = addr, left = length;
  while (left > 0) {
    const size = [8, 4, 2, 1].find((s) => at % BigInt(s) === 0n && s <= left)!;
    out.push({ addr: at, length: size });
    at += BigInt(size);
    left -= size;
  }
  return out;
}
