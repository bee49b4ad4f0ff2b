/**
 * A local APIC (SDM Vol. 3A chapter 10), one per vCPU: the xAPIC page at
 * IA32_APIC_BASE (the vCPU's MMU routes its own accesses here) and the x2APIC
 * MSRs 0x800-0x8FF, interrupt acceptance and priority, EOI, the timer, LINT0
 * (ExtINT from the 8259A pair, "virtual wire") and LINT1, and IPIs via the ICR.
 *
 * #GP: `msrRead`/`msrWrite` throw `ApicMsrError` for every access the SDM
 * says faults (x2APIC MSRs outside x2APIC mode, write-only or read-only or
 * absent registers, reserved bits, illegal IA32_APIC_BASE transitions); the
 * CPU's RDMSR/WRMSR turns it into #GP(0). xAPIC MMIO never faults: reserved
 * offsets read 0, ignore writes and set ESR "illegal register address".
 */
import { checkApicBaseWrite, x2apicRead, x2apicWrite, xapicRead, xapicWrite, type ApicRegisterFile } from './apic-access.js';
import { DeliveryMode, Shorthand, icrMessage, isInitDeassert, type ApicMessage, type IpiRouter } from './apic-message.js';
import {
  APIC_DEFAULT_BASE, APIC_VERSION, ApicBase, ApicReg, Esr, IA32_APIC_BASE, ICR_LOW_WRITABLE, LVT_OFFSETS,
  LVT_WRITABLE, Lvt, LvtIndex, Svr, X2APIC_MSR_FIRST, X2APIC_MSR_LAST, lvtMode,
} from './apic-regs.js';
import { ApicPriority } from './apic-priority.js';
import { ApicTimer } from './apic-timer.js';
import { ApicMsrError, DeviceConfigError } from './errors.js';
import type { Deadline, InterruptController, VcpuSignals, VirtualClock } from './interrupts.js';
import type { ApicTarget } from './ipi-router.js';

const TWO32 = 2 ** 32;

export interface LocalApicOptions {
  /** The bootstrap processor: IA32_APIC_BASE.BSP, and LINT0 starts as unmasked ExtINT. */
  bsp?: boolean;
}

export class LocalApic implements InterruptController, Deadline, ApicTarget, ApicRegisterFile {
  /**
   * EOI of a level-triggered vector (TMR bit set): the domain forwards it to the
   * I/O APIC, which clears remote IRR (SDM Vol. 3A §10.8.5).
   */
  onEoi: ((vector: number) => void) | undefined;
  /** The 8259A pair wired to LINT0 (ExtINT): its pending vector and INTA cycle. */
  extInt: InterruptController | undefined;

  private readonly bsp: boolean;
  private base = 0;
  private ldr = 0;
  private dfr = 0xffffffff;
  private svr: number = Svr.RESET;
  private esr = 0;
  /** Errors since the last ESR write; a write latches them into ESR (SDM §10.5.3). */
  private esrPending = 0;
  private icrLo = 0;
  private icrHi = 0;
  /** IRR, ISR, TMR and TPR (SDM §10.8). */
  private readonly prio = new ApicPriority();
  /** LVT registers in LVT_OFFSETS order. */
  private readonly lvt = new Uint32Array(LVT_OFFSETS.length);
  private readonly timer: ApicTimer;
  /** An ExtINT message arrived (e.g. I/O APIC pin 0 in ExtINT mode): ask the PIC at INTA. */
  private extIntRequested = false;

  constructor(
    readonly apicId: number,
    private readonly clock: VirtualClock,
    private readonly signals: VcpuSignals,
    private readonly ipi: IpiRouter,
    opts: LocalApicOptions = {},
  ) {
    if (!Number.isInteger(apicId) || apicId < 0 || apicId >= 0xffffffff) throw new DeviceConfigError(`invalid APIC ID ${apicId}`);
    this.bsp = opts.bsp ?? false;
    this.timer = new ApicTimer(clock);
    this.reset();
  }

  /**
   * Power-up state (SDM Vol. 3A §10.4.7.1): xAPIC mode at 0xFEE00000, software
   * disabled, LVTs masked. On the BSP, LINT0 is ExtINT and unmasked, as QEMU's
   * apic_reset_common leaves it ("typically set by the BIOS") so the PIC works
   * before the guest programs the APIC.
   */
  reset(): void {
    this.base = APIC_DEFAULT_BASE + ApicBase.EN + (this.bsp ? ApicBase.BSP : 0);
    this.resetRegisters();
    if (this.bsp) this.lvt[LvtIndex.LINT0] = DeliveryMode.EXTINT << 8;
  }

  /** INIT keeps the APIC ID, IA32_APIC_BASE and the x2APIC mode; the rest is as at power-up (§10.4.7.3). */
  private resetRegisters(): void {
    this.prio.clear();
    this.lvt.fill(Lvt.MASKED);
    this.ldr = 0; this.dfr = 0xffffffff; this.svr = Svr.RESET;
    this.esr = 0; this.esrPending = 0; this.icrLo = 0; this.icrHi = 0;
    this.extIntRequested = false;
    this.timer.reset();
  }

  // --- modes: IA32_APIC_BASE (SDM §10.4.4, §10.12.5) ----------------------

  get enabled(): boolean { return (this.base & ApicBase.EN) !== 0; }
  get x2apicMode(): boolean { return this.enabled && (this.base & ApicBase.EXTD) !== 0; }
  /** The xAPIC page is live: the MMU routes [mmioBase, mmioBase + 4 KiB) here. */
  get mmioEnabled(): boolean { return this.enabled && !this.x2apicMode; }
  get mmioBase(): number { return this.base - (this.base % 4096); }
  get softwareEnabled(): boolean { return (this.svr & Svr.ENABLE) !== 0; }

  get apicBaseMsr(): number { return this.base; }
  /** Throws ApicMsrError (#GP) for reserved bits and illegal mode transitions (see checkApicBaseWrite). */
  set apicBaseMsr(value: number) {
    checkApicBaseWrite(this.base, value);
    const wasEnabled = this.enabled;
    // BSP (bit 8) is set by hardware at reset and not changed by software.
    this.base = value - (value & ApicBase.BSP) + (this.bsp ? ApicBase.BSP : 0);
    // Disabling the APIC returns it to its reset state (§10.4.3; §10.12.5.1 from x2APIC).
    if (wasEnabled && !this.enabled) this.resetRegisters();
  }

  // --- ApicTarget ---------------------------------------------------------

  get logicalId(): number {
    // x2APIC logical ID is derived from the x2APIC ID (SDM §10.12.10.2).
    if (this.x2apicMode) return (((this.apicId >>> 4) << 16) | (1 << (this.apicId & 0xf))) >>> 0;
    return this.ldr >>> 24;
  }
  get clusterModel(): boolean { return (this.dfr >>> 28) === 0; }

  /** A message from the bus (SDM §10.6.1 delivery modes; §10.4.7.2 software-disabled behaviour). */
  accept(msg: ApicMessage): void {
    switch (msg.mode) {
      case DeliveryMode.FIXED:
      case DeliveryMode.LOWEST:
        // A software-disabled APIC takes only NMI, INIT, SMI and start-up (§10.4.7.2).
        if (this.softwareEnabled) this.raise(msg.vector, msg.level);
        return;
      case DeliveryMode.NMI: this.signals.nmi(); return;
      case DeliveryMode.INIT:
        if (isInitDeassert(msg)) return;
        this.resetRegisters();
        this.signals.init();
        return;
      case DeliveryMode.STARTUP: this.signals.sipi(msg.vector); return;
      case DeliveryMode.EXTINT: this.extIntRequested = true; this.signals.kick(); return;
      default: return; // SMI: no SMM here; encoding 3 is reserved.
    }
  }

  /** Put a fixed interrupt in IRR; vectors 0-15 are illegal (§10.5.2). */
  private raise(vector: number, level: boolean): void {
    if (vector < 16) { this.recordError(Esr.RECEIVE_ILLEGAL_VECTOR); return; }
    this.prio.request(vector, level);
    this.signals.kick();
  }

  /** Record an ESR error; an unmasked LVT error entry raises its vector (SDM §10.5.3). */
  recordError(bit: number): void {
    this.esrPending |= bit;
    const lvt = this.lvt[LvtIndex.ERROR]!;
    // An illegal vector in LVT error itself only sets the ESR bit (no recursion).
    if (!(lvt & Lvt.MASKED) && (lvt & 0xff) >= 16) this.raise(lvt & 0xff, false);
  }

  // --- priority, acceptance by the CPU, EOI (SDM §10.8) -------------------

  get tpr(): number { return this.prio.tpr; }
  set tpr(v: number) { this.prio.tpr = v & 0xff; this.kickIfPending(); }
  /** CR8 is TPR[7:4] in 64-bit mode (SDM Vol. 3A §10.8.6.1). */
  get cr8(): number { return this.prio.tpr >>> 4; }
  set cr8(v: number) { this.tpr = (v & 0xf) << 4; }

  /** Processor priority (SDM §10.8.3.1). */
  get ppr(): number { return this.prio.ppr; }

  /** LINT0 ExtINT path: globally disabled APIC (INTR pin), unmasked ExtINT LVT, or an ExtINT message. */
  private extIntActive(): boolean {
    if (!this.extInt) return false;
    if (!this.enabled || this.extIntRequested) return true;
    const l = this.lvt[LvtIndex.LINT0]!;
    return !(l & Lvt.MASKED) && lvtMode(l) === DeliveryMode.EXTINT;
  }

  /** ExtINT bypasses IRR and priority, so it is asked first (as QEMU's cpu_get_pic_interrupt). */
  pendingVector(): number {
    if (this.extIntActive()) {
      const v = this.extInt!.pendingVector();
      if (v >= 0) return v;
    }
    if (!this.enabled || !this.softwareEnabled) return -1;
    return this.prio.deliverable();
  }

  acknowledge(vector: number): void {
    if (this.extIntActive() && this.extInt!.pendingVector() === vector) {
      this.extIntRequested = false;
      this.extInt!.acknowledge(vector);
      return;
    }
    this.prio.acknowledge(vector);
  }

  /** EOI retires the highest in-service vector; level-triggered ones are broadcast (§10.8.5). */
  eoi(): void {
    const v = this.prio.eoi();
    if (v < 0) return;
    if (this.prio.isLevel(v)) this.onEoi?.(v);
    this.kickIfPending();
  }

  private kickIfPending(): void {
    if (this.pendingVector() >= 0) this.signals.kick();
  }

  /** IRR/ISR/TMR bit, for tests and introspection. */
  irrBit(v: number): boolean { return this.prio.inIrr(v); }
  isrBit(v: number): boolean { return this.prio.inIsr(v); }
  tmrBit(v: number): boolean { return this.prio.isLevel(v); }

  // --- local interrupt pins (SDM §10.5.1) ----------------------------------

  /**
   * An edge on LINT0/LINT1, delivered as its LVT entry says (fixed, NMI, INIT,
   * ExtINT). A globally disabled APIC passes LINT0 through as INTR and LINT1 as
   * NMI (§10.4.3). Call `lint(0)` when the PIC raises INTR so a halted vCPU wakes.
   */
  lint(pin: 0 | 1): void {
    if (!this.enabled) {
      if (pin === 1) this.signals.nmi(); else this.signals.kick();
      return;
    }
    const l = this.lvt[pin === 0 ? LvtIndex.LINT0 : LvtIndex.LINT1]!;
    if (l & Lvt.MASKED) return;
    switch (lvtMode(l)) {
      case DeliveryMode.FIXED: this.raise(l & 0xff, false); return;
      case DeliveryMode.NMI: this.signals.nmi(); return;
      case DeliveryMode.INIT: this.resetRegisters(); this.signals.init(); return;
      case DeliveryMode.EXTINT: this.signals.kick(); return;
      default: return;
    }
  }

  // --- timer (SDM §10.5.4): Deadline --------------------------------------

  nextDeadline(): number {
    return this.lvt[LvtIndex.TIMER]! & Lvt.MASKED ? Infinity : this.timer.nextDeadline();
  }

  expire(now: number): void {
    const lvt = this.lvt[LvtIndex.TIMER]!;
    if (this.timer.expire(now) && !(lvt & Lvt.MASKED)) this.raise(lvt & 0xff, false);
  }

  // --- register file (ApicRegisterFile; apic-access.ts decides who may reach what) ---

  /** The register at xAPIC `offset` as the current mode shows it; 0 where there is none. No side effects. */
  readRegister(off: number): number {
    if (off >= ApicReg.ISR && off < ApicReg.ESR) {
      const word = (off - ApicReg.ISR) >>> 4;
      return this.prio.word((word >>> 3) as 0 | 1 | 2, word);
    }
    const lvtIdx = (LVT_OFFSETS as readonly number[]).indexOf(off);
    if (lvtIdx >= 0) return this.lvt[lvtIdx]!;
    const x2 = this.x2apicMode;
    switch (off) {
      case ApicReg.ID: return x2 ? this.apicId : ((this.apicId & 0xff) << 24) >>> 0;
      case ApicReg.VERSION: return APIC_VERSION;
      case ApicReg.TPR: return this.prio.tpr;
      case ApicReg.PPR: return this.ppr;
      case ApicReg.LDR: return x2 ? this.logicalId : this.ldr;
      case ApicReg.DFR: return this.dfr;
      case ApicReg.SVR: return this.svr;
      case ApicReg.ESR: return this.esr;
      case ApicReg.ICR_LO: return this.icrLo;
      case ApicReg.ICR_HI: return this.icrHi;
      case ApicReg.TIMER_INITIAL: return this.timer.initial;
      case ApicReg.TIMER_CURRENT: return this.timer.current();
      case ApicReg.TIMER_DIVIDE: return this.timer.dcr;
      default: return 0; // APR and remote read are legacy and read 0; EOI and SELF IPI are write-only
    }
  }

  /** Write the register at xAPIC `offset` with its side effects; read-only and absent ones ignore it. */
  writeRegister(off: number, v: number): void {
    const lvtIdx = (LVT_OFFSETS as readonly number[]).indexOf(off);
    if (lvtIdx >= 0) { this.writeLvt(lvtIdx, off, v); return; }
    switch (off) {
      case ApicReg.TPR: this.tpr = v; return;
      case ApicReg.EOI: this.eoi(); return;
      case ApicReg.LDR: if (!this.x2apicMode) this.ldr = (v & 0xff000000) >>> 0; return;
      case ApicReg.DFR: this.dfr = (v | 0x0fffffff) >>> 0; return;
      case ApicReg.SVR: this.writeSvr(v); return;
      case ApicReg.ESR: this.esr = this.esrPending; this.esrPending = 0; return;
      case ApicReg.ICR_LO: this.icrLo = v & ICR_LOW_WRITABLE; this.sendIcr(); return;
      // xAPIC destination is bits 63:56; x2APIC's is all of bits 63:32.
      case ApicReg.ICR_HI: this.icrHi = this.x2apicMode ? v >>> 0 : (v & 0xff000000) >>> 0; return;
      case ApicReg.TIMER_INITIAL: this.timer.load(v); return;
      case ApicReg.TIMER_DIVIDE: this.timer.setDivide(v); return;
      case ApicReg.SELF_IPI: this.raise(v & 0xff, false); return;
      default: return;
    }
  }

  /** Clearing the software enable masks every LVT; while disabled, masks cannot be cleared (§10.4.7.2). */
  private writeSvr(v: number): void {
    const was = this.softwareEnabled;
    this.svr = v & Svr.WRITABLE;
    if (was && !this.softwareEnabled) for (let i = 0; i < this.lvt.length; i++) this.lvt[i]! |= Lvt.MASKED;
    this.kickIfPending();
  }

  private writeLvt(idx: number, off: number, v: number): void {
    const writable = LVT_WRITABLE[off]!;
    const old = this.lvt[idx]!;
    let next = (v & writable) | (old & Lvt.REMOTE_IRR);
    if (!this.softwareEnabled) next |= Lvt.MASKED;
    if (idx === LvtIndex.TIMER) {
      // Zero crossings while masked are gone: do not deliver them on unmask.
      if (old & Lvt.MASKED && !(next & Lvt.MASKED)) this.timer.expire(this.clock.now());
      this.timer.setPeriodic((next & Lvt.PERIODIC) !== 0);
    }
    this.lvt[idx] = next >>> 0;
    if (idx === LvtIndex.LINT0 && this.extIntActive()) this.kickIfPending();
  }

  private sendIcr(): void {
    const msg = icrMessage(this.icrLo, this.x2apicMode ? this.icrHi : this.icrHi >>> 24, this.x2apicMode);
    const fixed = msg.mode === DeliveryMode.FIXED || msg.mode === DeliveryMode.LOWEST;
    if (fixed && msg.vector < 16) { this.recordError(Esr.SEND_ILLEGAL_VECTOR); return; }
    if (msg.shorthand === Shorthand.SELF && !fixed) return; // self only takes fixed (SDM figure 10-12)
    this.ipi.send(msg, this.apicId);
  }

  // --- the two interfaces -------------------------------------------------

  /** xAPIC page access (only while `mmioEnabled`; otherwise reads 0 and ignores writes). */
  mmioRead(offset: number, size: number): number {
    return this.mmioEnabled ? xapicRead(this, offset, size) : 0;
  }

  mmioWrite(offset: number, size: number, value: number): void {
    if (this.mmioEnabled) xapicWrite(this, offset, size, value);
  }

  /** RDMSR of IA32_APIC_BASE or an x2APIC register (see `isApicMsr`). Throws ApicMsrError for #GP. */
  msrRead(msr: number): [lo: number, hi: number] {
    if (msr === IA32_APIC_BASE) return [this.base >>> 0, Math.floor(this.base / TWO32)];
    this.checkX2apicMsr(msr, false);
    return x2apicRead(this, msr);
  }

  msrWrite(msr: number, lo: number, hi: number): void {
    if (msr === IA32_APIC_BASE) { this.apicBaseMsr = (lo >>> 0) + (hi >>> 0) * TWO32; return; }
    this.checkX2apicMsr(msr, true);
    x2apicWrite(this, msr, lo, hi);
  }

  private checkX2apicMsr(msr: number, write: boolean): void {
    if (msr < X2APIC_MSR_FIRST || msr > X2APIC_MSR_LAST) throw new ApicMsrError(msr, write, 'not an APIC MSR');
    if (!this.x2apicMode) throw new ApicMsrError(msr, write, 'x2APIC mode is off');
  }
}
