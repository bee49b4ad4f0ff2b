/**
 * One x86-64 logical processor: architectural state and the execution loop.
 *
 * The loop runs pre-decoded blocks (see code-cache.ts). Each instruction's
 * handler may throw a `GuestFault`; the loop catches it at the instruction
 * boundary, puts RIP back on the faulting instruction (faults are restartable,
 * SDM Vol. 3A §6.5) and hands the fault to `onException`. Retired instructions
 * are counted in `icount`, which is the vCPU's notion of time.
 */
import { Mmu, PagingMode } from '../mmu/mmu.js';
import type { PhysicalMemory } from '../mmu/physical.js';
import { PAGE_MASK } from '../mmu/paging-bits.js';
import { AccessViolation } from '../mmu/page-access.js';
import { Block, CodeCache } from './code-cache.js';
import type { Vendor } from './cpuid.js';
import { Decoder } from './decode/decoder.js';
import type { OpcodeTable } from './decode/table.js';
import { GuestFault, Vector, hasErrorCode } from './fault.js';
import { EventType, Shutdown, deliverEvent } from './interrupts.js';
import { InterceptKind, InterceptSignal, Intercepts, type InterceptRecord } from './intercept.js';
import { FlagOp, readRflags, type LazyFlags } from './flags.js';
import { SEG_ZERO, type Insn } from './insn.js';
import { Dr6, dataBreakpoints, debugActive, hasDataBreakpoints, instructionBreakpoints, reportDebug } from './debug.js';
import { HOT_THRESHOLD, compileBlock } from './jit/block-compiler.js';
import { enterLongMode } from './reset.js';
import { NO_PORTS, type PortIo } from './ports.js';
import { ARITH_FLAGS, Cr0, Cr4, Efer, Flag, RFLAGS_FIXED } from './regs.js';
export { Cr0, Cr4, Efer } from './regs.js';

/** Why `run` returned before its budget was spent. */
export const StopReason = {
  NONE: 0,
  /** HLT with nothing to wake it (the platform layer decides what "wake" means). */
  HALT: 1,
  /** Triple fault: the processor shut down (SDM Vol. 3A §6.15, interrupt 8). */
  SHUTDOWN: 4,
  /** An intercepted event (intercept.ts): `cpu.exit` says which. */
  INTERCEPT: 5,
  /** An exception nobody handled (no `onException`, or it declined). */
  FAULT: 2,
  /** Something outside the CPU asked it to stop (a device, a debugger, a pause). */
  REQUEST: 3,
} as const;
export type StopReason = (typeof StopReason)[keyof typeof StopReason];

/** The CPU's view of its local interrupt controller (devices/interrupts.ts InterruptController, and the TPR as CR8). */
export interface InterruptSource {
  pendingVector(): number;
  acknowledge(vector: number): void;
  /** CR8 is TPR[7:4] (SDM Vol. 3A §10.8.6.1). */
  cr8: number;
}

/** MSRs implemented by the platform rather than the core: returns undefined when not claimed. */
export interface PlatformMsr {
  read(msr: number): [lo: number, hi: number] | undefined;
  /** False when not claimed; throw a GuestFault for #GP. */
  write(msr: number, lo: number, hi: number): boolean;
}


/** Handles an exception; returns false to stop the CPU with StopReason.FAULT instead. */
export type ExceptionHandler = (cpu: Cpu, f: GuestFault) => boolean;

const MAX_BLOCK = 64;
/** SYSCALL (0F 05) and SYSRET (0F 07) check TF at their end. */
const TF_AT_END = new Set([0x0f05, 0x0f07]);

export class Cpu implements LazyFlags {
  // General registers as 32-bit halves (no BigInt on the hot path).
  readonly lo = new Int32Array(16);
  readonly hi = new Int32Array(16);
  /** High half of the last 64-bit operand a getter returned. */
  vhi = 0;
  /** Canonical linear address of the next instruction to run. */
  rip = 0;

  // Lazy flags (flags.ts).
  rflags = RFLAGS_FIXED;
  fOp: number = FlagOp.NONE;
  fSize = 32;
  fDst = 0; fDstHi = 0;
  fSrc = 0; fSrcHi = 0;
  fRes = 0; fResHi = 0;
  savedCF = 0;

  /**
   * Segment registers: selector and descriptor cache (base, byte limit, VMX-style
   * attributes, see descriptor.ts). Index SEG_ZERO is a base that is always 0.
   */
  readonly segSel = new Uint16Array(7);
  readonly segBase = new Float64Array(7);
  readonly segLimit = new Float64Array(7).fill(0xffff);
  readonly segAttr = new Uint16Array(7);
  /** Code segment width: 16, 32 or 64. */
  codeBits = 64;
  /** Stack width for pushes and pops: 16, 32 (SS.B) or 64. */
  stackBits = 64;
  cpl = 0;

  // Descriptor-table registers (SDM Vol. 3A §2.4).
  gdtBase = 0; gdtLimit = 0xffff;
  idtBase = 0; idtLimit = 0x3ff;
  ldtSel = 0; ldtBase = 0; ldtLimit = 0;
  trSel = 0; trBase = 0; trLimit = 0xffff; trAttr = 0x8b;

  // MSR-backed state (msr.ts).
  starLo = 0; starHi = 0;
  lstar = 0; cstar = 0; fmask = 0;
  /** Debug registers DR0-DR7 (DR4/DR5 alias DR6/DR7). Reset values from SDM Vol. 3B §17.2. */
  readonly dr = Float64Array.of(0, 0, 0, 0, 0, 0, 0xffff0ff0, 0x400);

  // Pending and blocked events (interrupts.ts).
  /** The local interrupt controller (the LAPIC), asked at instruction boundaries. */
  intc: InterruptSource | undefined;
  /** MSRs owned by the platform (APIC_BASE, the x2APIC range); undefined result = not claimed. */
  platformMsr: PlatformMsr | undefined;
  nmiPending = false;
  /** NMIs are blocked from NMI delivery until the next IRET (SDM Vol. 3A §6.7.1). */
  nmiBlocked = false;
  /** Something may want delivery: checked at each block boundary. */
  eventsPending = false;
  /** The next instruction runs in an interrupt shadow (after STI, MOV SS, POP SS: SDM Vol. 3A §6.8.3). */
  inhibitNext = false;
  /** Events delivered so far (lets the debug path tell whether an instruction raised one). */
  deliveries = 0;
  /** The last event delivered through the IDT (after any fault its delivery raised), reused to stay allocation-free. */
  readonly delivered: { vector: number; type: EventType; errorCode: number | undefined } = { vector: 0, type: EventType.EXTERNAL, errorCode: undefined };
  /** Data-breakpoint hits (B0-B3) seen during the current instruction. */
  dataHits = 0;
  /**
   * The DR6 bits of the #DB being raised, for an intercept to report (VMX's
   * "pending debug exceptions" exit qualification) before DR6 is written.
   */
  pendingDbg = 0;
  /**
   * Single-stepping requested by the hypervisor rather than the guest: it traps
   * like RFLAGS.TF but is never visible in the guest's RFLAGS, pushed frames or
   * PUSHF (the SVM personality's shadowed TF, arch/svm.ts).
   */
  hostStep = false;
  /**
   * IRET ends NMI blocking (SDM Vol. 3A §6.7.1). Off for a personality that
   * tracks virtual-NMI blocking itself (SVM without vNMI, arch/svm.ts).
   */
  iretUnblocksNmi = true;
  /** Told when a maskable interrupt is taken (for the trace log). */
  onInterruptDelivered: ((vector: number) => void) | undefined;
  /** Told when an NMI has been delivered (a personality without virtual NMIs starts tracking blocking). */
  onNmiDelivered: (() => void) | undefined;
  /** An event to deliver at the start of the next run, bypassing the intercepts (VM-entry injection). */
  injection: { vector: number; type: EventType; errorCode?: number; instructionLength?: number; pendingDbg?: number; emulated?: boolean } | undefined;
  /** Hold off maskable interrupts whatever RFLAGS.IF says (while a debugger steps). */
  maskInterrupts = false;
  /** Run the next instruction without its intercept (the hypervisor "emulates" it by letting it run). */
  interceptsSuppressed = false;
  /** The last single-step trap came (also) from the guest's own TF. */
  private stepByGuest = false;
  /** Set by MOV SS / POP SS: their debug traps wait for the end of the next instruction. */
  debugShadow = false;
  private heldDataHits = 0;
  /** A single-step trap is due before the next instruction (see SYSRET). */
  stepTrapPending = false;
  /** While stepping under the debug architecture, REP string instructions do one iteration at a time. */
  stringIteration = false;
  /** Ticks spent halted: virtual time is icount + idleTicks. */
  idleTicks = 0;
  /** MSRs kept only to be read back (msr.ts). */
  readonly plainMsrs = new Map<number, [number, number]>();
  /** Added to virtual time for RDTSC (IA32_TSC writes). */
  tscOffset = 0;

  cr0 = Cr0.ET | Cr0.NE;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  cr8 = 0;
  efer = 0;
  kernelGsBase = 0;
  /** TSC_AUX, returned by RDTSCP in ECX. */
  tscAux = 0;
  /** Retired instructions: the vCPU's clock. */
  icount = 0;

  // Identity reported through CPUID.
  vendor: Vendor = 'intel';
  /** A local APIC is attached (CPUID leaf 1 advertises APIC and x2APIC). */
  apicPresent = false;
  apicId = 0;
  vcpuCount = 1;

  readonly mmu: Mmu;
  io: PortIo = NO_PORTS;
  onException: ExceptionHandler | undefined;

  stopReason: StopReason = StopReason.NONE;
  /** The fault that stopped the CPU, when stopReason is FAULT. */
  lastFault: GuestFault | undefined;
  /** What the hypervisor intercepts, and the record of the last intercept (stopReason INTERCEPT). */
  readonly intercepts = new Intercepts();
  exit: InterceptRecord | undefined;
  /** Set by a handler to end the current block after this instruction (mode changes, SMC, halts). */
  breakBlock = false;
  /** Compile hot blocks (jit/). Off while something needs to see every instruction. */
  jit = true;
  /** Interpreted runs of a block before it is compiled (0: compile on first sight). */
  hotThreshold = HOT_THRESHOLD;
  /** Index in the running compiled block of the instruction executing now (block-compiler.ts). */
  k = 0;
  /** Instructions retired by earlier passes of a compiled block that loops on itself. */
  kRetired = 0;

  readonly code: CodeCache;
  private readonly decoder: Decoder;

  constructor(readonly mem: PhysicalMemory, readonly table: OpcodeTable, code?: CodeCache) {
    this.mmu = new Mmu(mem);
    this.code = code ?? new CodeCache(mem);
    this.decoder = new Decoder(table, (la) => this.fetchByte(la));
  }

  /** Virtual time: retired instructions plus ticks spent halted (the TSC and the APIC timer run on it). */
  time(): number {
    return this.icount + this.idleTicks;
  }

  // ---- register helpers ------------------------------------------------------------

  /** A register's full value as a JS number (exact while it fits in 53 bits). */
  reg64(r: number): number {
    return this.hi[r]! * 4294967296 + (this.lo[r]! >>> 0);
  }

  getRflags(): number {
    return readRflags(this);
  }

  /** Write RFLAGS wholesale (status flags become eager). Reserved bits keep their fixed values. */
  setRflags(v: number): void {
    const rising = (v & ~this.rflags & Flag.IF) !== 0;
    const debugChange = ((v ^ this.rflags) & (Flag.TF | Flag.RF)) !== 0;
    this.rflags = (v & 0x3f7fd5) | RFLAGS_FIXED;
    this.fOp = FlagOp.NONE;
    if (rising) this.kick();
    else if (debugChange) this.breakBlock = true; // stepping starts or stops at the next instruction
  }

  /** Set or clear a non-status flag such as DF, IF or TF. */
  setFlag(flag: number, on: boolean): void {
    if ((flag & ARITH_FLAGS) !== 0) throw new Error('status flags go through setStatusFlags');
    this.rflags = on ? this.rflags | flag : this.rflags & ~flag;
  }

  get df(): boolean {
    return (this.rflags & Flag.DF) !== 0;
  }

  // ---- mode ----------------------------------------------------------------------

  /** Recompute the MMU's paging mode after CR0, CR3, CR4 or EFER changed. */
  updatePaging(): void {
    let mode: PagingMode = PagingMode.NONE;
    if ((this.cr0 & Cr0.PG) !== 0) {
      mode = (this.efer & Efer.LMA) !== 0 ? PagingMode.LONG4 : (this.cr4 & Cr4.PAE) !== 0 ? PagingMode.PAE : PagingMode.LEGACY;
    }
    this.mmu.configure(mode, this.cr3, (this.cr0 & Cr0.WP) !== 0, (this.efer & Efer.NXE) !== 0, (this.cr4 & Cr4.PSE) !== 0);
  }

  setCpl(cpl: number): void {
    this.cpl = cpl;
    this.mmu.setUser(cpl === 3);
  }

  setCodeBits(bits: number): void {
    if (bits !== this.codeBits) this.mmu.tlb.epoch++; // block links assume one decoding mode
    this.codeBits = bits;
  }

  setSegBase(seg: number, base: number): void {
    if (seg === SEG_ZERO) throw new Error('the zero segment has no base to set');
    this.segBase[seg] = base;
  }

  // ---- execution -------------------------------------------------------------------

  private fetchByte(la: number): number {
    const pa = this.mmu.fetchPa(la);
    return this.mem.isRam(pa) ? this.mem.bytes[pa]! : this.mmu.physRead(pa, 1);
  }

  /** Decode (or find) the block at `rip`. Throws a GuestFault if the first byte cannot be fetched. */
  private blockAt(rip: number): Block {
    const pa = this.mmu.fetchPa(rip);
    const cached = this.code.get(pa);
    if (cached !== undefined && cached.addr === rip && cached.bits === this.codeBits &&
        (cached.tailPage < 0 || this.tailPageOf(cached) === cached.tailPage)) return cached;
    return this.buildBlock(rip, pa);
  }

  private tailPageOf(b: Block): number {
    const last = b.insns[b.insns.length - 1]!;
    const tailLa = last.next - 1;
    const pa = this.mmu.fetchPa(tailLa);
    return pa - (pa & PAGE_MASK);
  }

  private buildBlock(rip: number, pa: number): Block {
    const insns: Insn[] = [];
    const pageEnd = rip - (rip & PAGE_MASK) + 4096;
    let la = rip;
    let tailPage = -1;
    while (insns.length < MAX_BLOCK) {
      let i: Insn;
      try {
        i = this.decoder.decode(la, this.codeBits);
      } catch (e) {
        // Bytes after the first instruction may never run; their faults belong to whoever reaches them.
        if (insns.length > 0 && (e instanceof GuestFault || e instanceof AccessViolation)) break;
        throw e;
      }
      if (i.next > pageEnd) {
        if (insns.length > 0) break; // the straddler gets a block of its own
        insns.push(i);
        const tpa = this.mmu.fetchPa(i.next - 1);
        tailPage = tpa - (tpa & PAGE_MASK);
        break;
      }
      insns.push(i);
      la = i.next;
      if (i.ends || la === pageEnd) break;
    }
    const block = new Block(rip, this.codeBits, insns, tailPage);
    if (this.mem.isRam(pa)) this.code.put(pa, block);
    return block;
  }

  /**
   * Run up to `budget` instructions. Returns the number retired. Stops early on
   * HLT, an unhandled exception, or `requestStop()`; `stopReason` says which.
   */
  run(budget: number): number {
    const start = this.icount, end = start + budget;
    this.stopReason = StopReason.NONE;
    this.code.running = this;
    const tlb = this.mmu.tlb;
    let prev: Block | undefined;
    while (this.icount < end && this.stopReason === StopReason.NONE) {
      // Interrupts are recognised between instructions (SDM Vol. 3A §6.9); here, between blocks,
      // which end wherever something may have made one deliverable.
      if (this.eventsPending && !this.inhibitNext) {
        this.deliverPendingEvents();
        prev = undefined;
        if (this.stopReason !== StopReason.NONE) break;
      }
      if (this.injection !== undefined) {
        this.injectPending();
        // An injected event that cannot be delivered shuts the CPU down before any instruction runs.
        if (this.stopReason !== StopReason.NONE) break;
      }
      const ic = this.intercepts;
      if ((ic.interruptWindow && (this.rflags & Flag.IF) !== 0 && !this.inhibitNext) || (ic.nmiWindow && !this.nmiBlocked && !this.inhibitNext)) {
        const kind = ic.interruptWindow && (this.rflags & Flag.IF) !== 0 ? InterceptKind.INTERRUPT_WINDOW : InterceptKind.NMI_WINDOW;
        this.exit = { kind, rip: this.rip, length: 0, icount: this.icount };
        this.requestStop(StopReason.INTERCEPT);
        break;
      }
      if (ic.monitorTrap || debugActive(this)) {
        this.stepWithDebug();
        // The monitor trap stops at the next instruction boundary, after any event the
        // instruction raised was delivered (SDM Vol. 3C §25.5.2).
        if (ic.monitorTrap && this.stopReason === StopReason.NONE) {
          this.exit = { kind: InterceptKind.MONITOR_TRAP, rip: this.rip, length: 0, icount: this.icount };
          this.requestStop(StopReason.INTERCEPT);
        }
        prev = undefined;
        continue;
      }
      const rip = this.rip;
      let block: Block | undefined;
      if (prev !== undefined && prev.linkEpoch === tlb.epoch) {
        block = prev.link0;
        if (block === undefined || block.addr !== rip || !block.valid) {
          block = prev.link1;
          if (block === undefined || block.addr !== rip || !block.valid) block = undefined;
        }
      }
      if (block === undefined) {
        try {
          block = this.blockAt(rip);
        } catch (e) {
          this.exception(e, rip);
          prev = undefined;
          continue;
        }
        if (prev !== undefined) {
          if (prev.linkEpoch !== tlb.epoch) { prev.linkEpoch = tlb.epoch; prev.link1 = undefined; }
          else prev.link1 = prev.link0;
          prev.link0 = block;
        }
      }
      const insns = block.insns;
      // After STI or MOV SS exactly one instruction runs before anything is delivered; an
      // instruction let through its intercept, or run under one-instruction page permissions,
      // runs alone too.
      const shadowed = this.inhibitNext || this.interceptsSuppressed || this.mmu.oneShot !== undefined;
      if (this.jit && !shadowed) {
        if (block.fn === undefined && ++block.hits > this.hotThreshold) block.fn = compileBlock(insns);
        if (block.fn !== undefined && end - this.icount >= insns.length) {
          this.runCompiled(block, end - this.icount);
          prev = block.valid ? block : undefined;
          continue;
        }
      }
      this.interpret(insns, shadowed ? 1 : Math.min(insns.length, end - this.icount));
      this.endSingleInstructionState();
      this.breakBlock = false;
      prev = block.valid ? block : undefined;
    }
    this.code.running = undefined;
    return this.icount - start;
  }

  /** Run up to `n` instructions of a block through their closures. */
  private interpret(insns: Insn[], n: number): void {
    this.inhibitNext = false;
    let k = 0;
    try {
      for (; k < n; k++) {
        const i = insns[k]!;
        this.rip = i.next;
        i.exec(this, i);
        this.icount++;
        if (this.rip !== i.next || this.breakBlock) break;
      }
    } catch (e) {
      if (e instanceof InterceptSignal) return this.stopAtIntercept(e);
      if (e instanceof GuestFault && e.trap) this.icount++;
      else this.rip = insns[k]!.addr;
      this.exception(e, insns[k]!.addr);
    }
  }

  /**
   * One instruction under the debug architecture (debug.ts): an instruction
   * breakpoint is a fault before it (unless RF), a single step or a data
   * breakpoint a trap after it; RF clears once an instruction completes.
   */
  private stepWithDebug(): void {
    if (this.stepTrapPending) {
      // An instruction that tests TF at its end set it (SYSRET from R11): the trap is due now.
      this.stepTrapPending = false;
      this.stepByGuest = true;
      this.pendingDbg = Dr6.BS;
      this.deliver(Vector.DB, EventType.HW_EXCEPTION, undefined);
      return;
    }
    const rip = this.rip;
    if ((this.rflags & Flag.RF) === 0) {
      const hits = instructionBreakpoints(this, rip);
      if (hits !== 0) {
        this.pendingDbg = hits;
        this.deliver(Vector.DB, EventType.HW_EXCEPTION, undefined);
        return;
      }
    }
    let block: Block;
    try {
      block = this.blockAt(rip);
    } catch (e) {
      this.exception(e, rip);
      return;
    }
    const insn = block.insns[0]!;
    const tfBefore = (this.rflags & Flag.TF) !== 0;
    const rfBefore = (this.rflags & Flag.RF) !== 0;
    const deliveries = this.deliveries, retired = this.icount;
    this.dataHits = 0;
    this.debugShadow = false; // only the instruction about to run may set it
    this.stringIteration = true; // a REP instruction does one iteration per boundary (SDM Vol. 3A §17.3.1.4)
    this.interpret(block.insns, 1);
    this.stringIteration = false;
    this.endSingleInstructionState();
    this.breakBlock = false;
    if (this.deliveries !== deliveries || this.icount === retired) return; // it faulted, raised an event or did not retire
    if (this.stopReason !== StopReason.NONE) return; // HLT, or a device stop: the step ends there
    if (rfBefore) this.rflags &= ~Flag.RF;
    // SYSCALL and SYSRET test TF after they complete, with FMASK or R11 applied (SDM Vol. 2 "SYSCALL", "SYSRET").
    const guestStep = TF_AT_END.has(insn.opcode) ? (this.rflags & Flag.TF) !== 0 : tfBefore;
    // MOV SS / POP SS hold every debug trap of theirs until after the next instruction (SDM Vol. 3A §6.8.3).
    if (this.debugShadow) {
      this.debugShadow = false;
      this.heldDataHits |= this.dataHits;
      return;
    }
    const hits = this.dataHits | this.heldDataHits;
    this.heldDataHits = 0;
    const step = guestStep || this.hostStep;
    if (step || hits !== 0) {
      this.stepByGuest = guestStep;
      this.pendingDbg = hits | (step ? Dr6.BS : 0);
      this.deliver(Vector.DB, EventType.HW_EXCEPTION, undefined);
    }
  }

  /** What held for one instruction only ends when it has run (or faulted). */
  private endSingleInstructionState(): void {
    this.interceptsSuppressed = false;
    if (this.mmu.oneShot !== undefined) this.mmu.endOneShot();
  }

  /** Arm or disarm the MMU's data-breakpoint watch after DR7 changes. */
  updateWatch(): void {
    if (hasDataBreakpoints(this.dr[7]!)) {
      this.mmu.watch = (la, size, write) => { this.dataHits |= dataBreakpoints(this, la, size, write); };
      this.mmu.tlb.flushAll();
    } else {
      this.mmu.watch = undefined;
    }
  }

  private runCompiled(block: Block, budget: number): void {
    try {
      this.icount += block.fn!(this, block.insns, budget);
    } catch (e) {
      const i = block.insns[this.k]!;
      this.icount += this.kRetired;
      if (e instanceof InterceptSignal) { this.icount += this.k; this.stopAtIntercept(e); this.breakBlock = false; return; }
      if (e instanceof GuestFault && e.trap) this.icount += this.k + 1;
      else { this.icount += this.k; this.rip = i.addr; }
      this.exception(e, i.addr);
    }
    this.breakBlock = false;
  }


  /** Run exactly one instruction (or deliver one fault). */
  step(): number {
    return this.run(1);
  }

  requestStop(reason: StopReason = StopReason.REQUEST): void {
    this.stopReason = reason;
    this.breakBlock = true;
  }

  /**
   * A GuestFault reached the instruction boundary: deliver it through the IDT,
   * unless `onException` (tests, bare-metal harnesses) takes it first.
   */
  private exception(e: unknown, instructionAddr: number): void {
    if (e instanceof AccessViolation) return this.stopAtAccessViolation(e, instructionAddr);
    if (!(e instanceof GuestFault)) throw e;
    if (e.vector === Vector.PF) this.cr2 = e.address;
    this.lastFault = e;
    if (this.onException !== undefined) {
      if (!this.onException(this, e)) this.stopReason = StopReason.FAULT;
      return;
    }
    const type = !e.trap ? EventType.HW_EXCEPTION : e.vector === Vector.DB ? EventType.PRIV_SW_EXCEPTION : EventType.SW_EXCEPTION;
    // Fault-class exceptions push RF set, so that the IRET back to the instruction does
    // not hit its instruction breakpoint again (SDM Vol. 3A §17.3.1.1).
    this.deliver(e.vector, type, hasErrorCode(e.vector) ? e.errorCode : undefined, instructionAddr, !e.trap);
  }

  /**
   * Deliver an event now; a triple fault shuts the CPU down (StopReason.SHUTDOWN).
   * `instructionAddr`: for software events, the instruction that raised it.
   */
  deliver(vector: number, type: EventType, errorCode: number | undefined, instructionAddr?: number, faultFrame = false, injected = false, emulated = false): void {
    if (!injected && vector < 32 && type !== EventType.EXTERNAL && type !== EventType.NMI && this.intercepts.exception(vector)) {
      // Intercepted instead of delivered: software events leave RIP on their instruction,
      // with its length, so that a re-injection can return past it (SDM Vol. 3C §27.2.4).
      const soft = instructionAddr !== undefined && (type === EventType.SW_EXCEPTION || type === EventType.PRIV_SW_EXCEPTION || type === EventType.SW_INTERRUPT);
      const length = soft ? this.rip - instructionAddr : 0;
      this.exit = {
        kind: InterceptKind.EXCEPTION, rip: soft ? instructionAddr : this.rip, length, icount: this.icount,
        exception: {
          vector, type, errorCode, ...(vector === Vector.PF ? { cr2: this.cr2 } : {}),
          ...(vector === Vector.DB ? { dr6Bits: this.pendingDbg, guestStep: this.stepByGuest } : {}),
        },
        ...(emulated ? { emulated } : {}),
      };
      this.rip = this.exit.rip;
      this.pendingDbg = 0;
      this.requestStop(StopReason.INTERCEPT);
      return;
    }
    if (vector === Vector.DB && this.pendingDbg !== 0) reportDebug(this, this.pendingDbg);
    this.pendingDbg = 0;
    this.deliveries++;
    // The IDT, GDT, TSS and stack accesses of a delivery are not held to the second-level
    // permissions: an exit in the middle of one would need IDT-vectoring re-delivery.
    this.mmu.unchecked++;
    try {
      deliverEvent(this, vector, type, errorCode, instructionAddr, faultFrame);
      if (this.intercepts.delivered) {
        const d = this.delivered;
        this.exit = {
          kind: InterceptKind.DELIVERED, rip: this.rip, length: 0, icount: this.icount,
          exception: { vector: d.vector, type: d.type, errorCode: d.errorCode, ...(d.vector === Vector.PF ? { cr2: this.cr2 } : {}) },
        };
        this.requestStop(StopReason.INTERCEPT);
      }
    } catch (s) {
      if (!(s instanceof Shutdown)) throw s;
      this.requestStop(StopReason.SHUTDOWN);
    } finally {
      this.mmu.unchecked--;
    }
  }

  /** NMI first, then the highest-priority maskable interrupt if IF allows (SDM Vol. 3A §6.9, table 6-2). */
  private deliverPendingEvents(): void {
    this.eventsPending = false;
    if (this.nmiPending && !this.nmiBlocked) {
      this.nmiPending = false;
      this.nmiBlocked = true;
      this.deliver(Vector.NMI, EventType.NMI, undefined);
      this.onNmiDelivered?.();
    } else if ((this.rflags & Flag.IF) !== 0 && !this.maskInterrupts && this.intc !== undefined) {
      const v = this.intc.pendingVector();
      if (v >= 0) {
        this.intc.acknowledge(v);
        this.onInterruptDelivered?.(v);
        this.deliver(v, EventType.EXTERNAL, undefined);
        this.eventsPending = true; // another may be waiting behind it
      }
    }
    if (this.nmiPending) this.eventsPending = true; // blocked until IRET, which re-raises the check
  }

  /**
   * Stop at an intercept (handlers call this when their control is set). While
   * intercepts are suppressed for one instruction it returns, and the
   * instruction carries on as if not intercepted.
   */
  intercept(record: Omit<InterceptRecord, 'icount'>): void {
    if (this.interceptsSuppressed) return;
    throw new InterceptSignal({ ...record, icount: this.icount });
  }

  /**
   * A second-level permission stopped the instruction at `instructionAddr`
   * before it completed: an EPT violation (SDM Vol. 3C §28.3.3.2) or nested
   * page fault (APM Vol. 2 §15.25.6), with RIP left on the instruction.
   */
  private stopAtAccessViolation(v: AccessViolation, instructionAddr: number): void {
    this.endSingleInstructionState();
    this.rip = instructionAddr;
    this.exit = {
      kind: InterceptKind.MEM_ACCESS, rip: instructionAddr, length: this.lengthAt(instructionAddr), icount: this.icount,
      memAccess: { gpa: v.gpa, gla: v.gla, access: v.access },
    };
    this.requestStop(StopReason.INTERCEPT);
  }

  /** The length of the instruction at `la` (0 if it cannot be fetched), read past the second-level permissions. */
  private lengthAt(la: number): number {
    this.mmu.unchecked++;
    try {
      return this.decoder.decode(la, this.codeBits).next - la;
    } catch (e) {
      if (e instanceof GuestFault) return 0;
      throw e;
    } finally {
      this.mmu.unchecked--;
    }
  }

  private stopAtIntercept(s: InterceptSignal): void {
    this.exit = s.record;
    this.rip = s.record.rip;
    this.requestStop(StopReason.INTERCEPT);
  }

  /**
   * Deliver the event queued in `injection`: a software event returns past its
   * instruction (RIP + length), a #DB brings its DR6 bits (SDM Vol. 3C §26.6).
   */
  private injectPending(): void {
    const inj = this.injection!;
    this.injection = undefined;
    const soft = inj.type === EventType.SW_EXCEPTION || inj.type === EventType.PRIV_SW_EXCEPTION || inj.type === EventType.SW_INTERRUPT;
    let instructionAddr: number | undefined;
    if (soft && inj.instructionLength) { instructionAddr = this.rip; this.rip += inj.instructionLength; }
    if (inj.vector === Vector.DB && inj.pendingDbg) this.pendingDbg = inj.pendingDbg;
    if (inj.type === EventType.NMI) { this.nmiBlocked = true; this.onNmiDelivered?.(); }
    const fault = inj.type === EventType.HW_EXCEPTION && inj.vector !== Vector.DB && inj.vector !== Vector.BP;
    if (inj.type === EventType.HW_EXCEPTION) this.lastFault = new GuestFault(inj.vector, inj.errorCode ?? 0); // what a crash report names
    // The hypervisor's own injections meet the intercepts when clients asked to see them (seed 003).
    const intercept = inj.emulated === true && inj.vector < 32 && (this.intercepts.emulatedEvents & (1 << inj.vector)) !== 0;
    this.deliver(inj.vector, inj.type, inj.errorCode, instructionAddr, fault, !intercept, intercept);
  }

  /** Ask for an event check at the next boundary (an interrupt controller changed, IF rose, ...). */
  kick(): void {
    this.eventsPending = true;
    this.breakBlock = true;
  }

  /** Raise NMI (the LAPIC's NMI delivery mode, LINT1, or an injection from outside). */
  raiseNmi(): void {
    this.nmiPending = true;
    this.kick();
  }

  /** Flat 64-bit long mode at CPL 0 on the given page tables (see reset.ts). */
  enterLongMode(cr3: number): void {
    enterLongMode(this, cr3);
  }
}
