/**
 * The emulator side of the native-CPU oracle: runs the same vectors as
 * `native.ts`, with the same fixed layout, at CPL 3 like the native harness
 * (so PUSHF sees IF=1 and privileged instructions fault the same way), and
 * reports the same `Outcome`.
 */
import { Cpu, StopReason } from '../../src/hypervisor/cpu/cpu.js';
import { HOT_THRESHOLD } from '../../src/hypervisor/cpu/jit/block-compiler.js';
import { opcodeTable } from '../../src/hypervisor/cpu/ops/index.js';
import { Flag } from '../../src/hypervisor/cpu/regs.js';
import { PageTableBuilder } from '../../src/hypervisor/mmu/page-table-builder.js';
import { PhysicalMemory } from '../../src/hypervisor/mmu/physical.js';
import { getReg, setReg } from '../support/machine.js';
import { LAYOUT, type Outcome, type Vector } from './native.js';

const PHYS = { DATA: 0x100000, CODE: 0x200000, STACK: 0x300000 } as const;
const STACK_SIZE = LAYOUT.STACK_HI - LAYOUT.STACK_LO;
const DATA_SIZE = LAYOUT.DATA_SIZE;
/** Generous: vectors are a handful of instructions, but REP string forms may loop. */
const MAX_STEPS = 100_000;

type Fault = Outcome['fault'];

class Rig {
  readonly mem = new PhysicalMemory(8 << 20);
  readonly cpu: Cpu;

  constructor() {
    const pt = new PageTableBuilder(this.mem, this.mem.size, this.mem.size - (1 << 20));
    pt.map(LAYOUT.DATA, PHYS.DATA, DATA_SIZE, { user: true, noExec: true });
    pt.map(LAYOUT.CODE, PHYS.CODE, 0x1000, { user: true });
    pt.map(LAYOUT.STACK_LO, PHYS.STACK, STACK_SIZE, { user: true, noExec: true });
    this.cpu = new Cpu(this.mem, opcodeTable());
    this.cpu.enterLongMode(pt.cr3);
    this.cpu.setCpl(3);
    this.cpu.onException = () => false; // report faults, as the native harness does
  }

  /**
   * With `compiled`, blocks are compiled before they first run and the vector
   * runs in one go, as hot code does; otherwise one interpreted step at a time.
   */
  private runStepwise(v: Vector, end: number): Fault {
    const cpu = this.cpu;
    for (let n = 0; n < MAX_STEPS; n++) {
      if (cpu.rip === end) return null;
      cpu.run(1);
      if (cpu.stopReason === StopReason.FAULT) return cpu.lastFault!.vector;
      if (cpu.stopReason !== StopReason.NONE) throw new Error(`vector ${v.name}: CPU stopped (${cpu.stopReason})`);
    }
    return 'timeout';
  }

  /** A UD2 placed right after the code marks the end: #UD there means "ran off the end". */
  private runCompiled(v: Vector, end: number): Fault {
    const cpu = this.cpu;
    cpu.hotThreshold = 0;
    this.mem.writeBytes(PHYS.CODE + v.code.length, Uint8Array.of(0x0f, 0x0b));
    cpu.run(MAX_STEPS);
    if (cpu.stopReason === StopReason.FAULT) {
      const f = cpu.lastFault!;
      return f.vector === 6 && cpu.rip === end ? null : f.vector;
    }
    if (cpu.stopReason !== StopReason.NONE) throw new Error(`vector ${v.name}: CPU stopped (${cpu.stopReason})`);
    return 'timeout';
  }

  run(v: Vector, compiled: boolean): Outcome {
    const { cpu, mem } = this;
    mem.bytes.fill(0, PHYS.DATA, PHYS.DATA + DATA_SIZE);
    mem.bytes.fill(0, PHYS.STACK, PHYS.STACK + STACK_SIZE);
    mem.writeBytes(PHYS.DATA, v.data);
    // Like the native harness: int3 filler after the code, so a stray jump traps.
    mem.writeBytes(PHYS.CODE, new Uint8Array(LAYOUT.CODE_SIZE).fill(0xcc));
    mem.writeBytes(PHYS.CODE, v.code);
    for (let r = 0; r < 16; r++) setReg(cpu, r, v.regs[r]!);
    cpu.setRflags((v.rflags & 0xcd5) | Flag.IF);
    cpu.rip = LAYOUT.CODE;
    const end = LAYOUT.CODE + v.code.length;
    const fault = compiled ? this.runCompiled(v, end) : this.runStepwise(v, end);
    const f = fault !== null && fault !== 'timeout' ? cpu.lastFault! : undefined;
    this.cpu.hotThreshold = HOT_THRESHOLD;
    return {
      fault,
      errorCode: f?.errorCode ?? 0,
      faultAddr: f?.vector === 14 ? BigInt.asUintN(64, BigInt(f.address)) : 0n,
      rip: BigInt(cpu.rip),
      ripOffset: cpu.rip - LAYOUT.CODE,
      regs: Array.from({ length: 16 }, (_, r) => getReg(cpu, r)),
      rflags: cpu.getRflags(),
      data: mem.bytes.slice(PHYS.DATA, PHYS.DATA + v.data.length),
    };
  }
}

let rig: Rig | undefined;

export function runEmulated(vectors: Vector[], { compiled = false } = {}): Outcome[] {
  rig ??= new Rig();
  return vectors.map((v) => rig!.run(v, compiled));
}
