/**
 * A domain with one vCPU, its RAM and its port bus: enough to run a
 * freestanding program to its `isa-debug-exit`. (SMP, interrupt controllers and
 * the vCPU state machine come with the machine layer.)
 */
import { Cpu, StopReason } from '../cpu/cpu.js';
import type { Vendor } from '../cpu/cpuid.js';
import { Vector } from '../cpu/fault.js';
import { opcodeTable } from '../cpu/ops/index.js';
import { REG_NAMES } from '../cpu/regs.js';
import { PortBus } from '../devices/bus.js';
import { DEBUG_EXIT_PORT, DebugExit } from '../devices/debug-exit.js';
import { COM1_PORT, Uart16550 } from '../devices/uart16550.js';
import { PhysicalMemory } from '../mmu/physical.js';
import { bootDirect64 } from './boot-direct64.js';
import { parseElf } from './elf.js';

export interface VmOptions {
  memMiB?: number;
  vendor?: Vendor;
  /** Where the serial console's bytes go. */
  serialOut?: (byte: number) => void;
}

export type RunOutcome =
  | { kind: 'exit'; status: number; instructions: number }
  | { kind: 'halt'; instructions: number }
  | { kind: 'fault'; vector: number; errorCode: number; rip: number; instructions: number; registers: string }
  | { kind: 'limit'; instructions: number };

/** Instructions per slice between yields to the event loop. */
const SLICE = 1 << 20;

const VECTOR_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Vector).map(([k, v]) => [v, `#${k}`]));
export const vectorName = (v: number): string => VECTOR_NAMES[v] ?? `vector ${v}`;

export class Vm {
  readonly mem: PhysicalMemory;
  readonly cpu: Cpu;
  readonly bus = new PortBus();
  readonly uart: Uart16550;
  private exitStatus: number | undefined;

  constructor(opts: VmOptions = {}) {
    const mib = opts.memMiB ?? 64;
    if (!Number.isInteger(mib) || mib < 2 || mib > 4096) throw new RangeError(`guest memory must be 2..4096 MiB, got ${mib}`);
    this.mem = new PhysicalMemory(mib << 20);
    this.cpu = new Cpu(this.mem, opcodeTable());
    this.cpu.vendor = opts.vendor ?? 'intel';
    this.cpu.io = this.bus;
    this.uart = new Uart16550(opts.serialOut ?? (() => {}));
    this.bus.attach(COM1_PORT, 8, this.uart);
    this.bus.attach(DEBUG_EXIT_PORT, 1, new DebugExit((status) => {
      this.exitStatus = status;
      this.cpu.requestStop();
    }));
  }

  /** Load an ELF kernel image (throws LoaderError with a clear message on bad input). */
  load(image: Uint8Array): void {
    bootDirect64(this.cpu, this.mem, parseElf(image));
  }

  /** Run until the guest exits, halts, faults, or `maxInstructions` retire. */
  async run(maxInstructions = Infinity): Promise<RunOutcome> {
    const cpu = this.cpu;
    for (;;) {
      const left = maxInstructions - cpu.icount;
      if (left <= 0) return { kind: 'limit', instructions: cpu.icount };
      cpu.run(Math.min(SLICE, left));
      if (this.exitStatus !== undefined) return { kind: 'exit', status: this.exitStatus, instructions: cpu.icount };
      if (cpu.stopReason === StopReason.HALT) return { kind: 'halt', instructions: cpu.icount };
      if (cpu.stopReason === StopReason.FAULT) {
        const f = cpu.lastFault!;
        return { kind: 'fault', vector: f.vector, errorCode: f.errorCode, rip: cpu.rip, instructions: cpu.icount, registers: this.dumpRegisters() };
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  dumpRegisters(): string {
    const c = this.cpu;
    const hex = (r: number): string => ((c.hi[r]! >>> 0).toString(16).padStart(8, '0') + (c.lo[r]! >>> 0).toString(16).padStart(8, '0'));
    const lines = REG_NAMES.map((n, r) => `${n.padStart(3)}=${hex(r)}`);
    const rows: string[] = [];
    for (let k = 0; k < 16; k += 4) rows.push(lines.slice(k, k + 4).join(' '));
    rows.push(`rip=${c.rip.toString(16)} rflags=${c.getRflags().toString(16)} cr2=${c.cr2.toString(16)} cr3=${c.cr3.toString(16)}`);
    return rows.join('\n');
  }
}
