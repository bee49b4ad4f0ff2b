/**
 * One Intel 8259A programmable interrupt controller: IRR/ISR/IMR, the
 * ICW1-ICW4 initialisation sequence, OCW1-OCW3, fully nested priority with
 * rotation, special mask mode, automatic EOI and the poll command (8259A
 * datasheet, "Programming the 8259A"). `Pic8259` wires two of them as the PC
 * does. The priority logic follows QEMU's hw/intc/i8259.c, which has run
 * every PC operating system for two decades.
 */
import type { BusDevice } from './bus.js';

const ICW1 = 0x10, ICW1_IC4 = 0x01, ICW1_SNGL = 0x02, ICW1_LTIM = 0x08;
const OCW3 = 0x08, OCW3_RIS = 0x01, OCW3_RR = 0x02, OCW3_POLL = 0x04, OCW3_SMM = 0x20, OCW3_ESMM = 0x40;
const ICW4_AEOI = 0x02, ICW4_SFNM = 0x10;
/** Where the next write to the odd port goes. */
const Step = { OPERATIONAL: 0, ICW2: 1, ICW3: 2, ICW4: 3 } as const;
type Step = (typeof Step)[keyof typeof Step];

export class Pic8259Chip implements BusDevice {
  irr = 0;
  isr = 0;
  /** OCW1; all masked until the guest initialises the chip (see pic8259.ts). */
  imr = 0xff;
  /** Edge/level control: 1 = level-triggered input (ELCR, not part of the 8259A itself). */
  elcr = 0;
  /** ICW2 bits 7:3; the IRQ number fills bits 2:0 of the vector. */
  vectorBase = 0;
  /** The input after `priorityAdd` has the highest priority (0 after ICW1: IR0 highest, IR7 lowest). */
  private priorityAdd = 0;
  /** Input levels as last seen, for edge detection. */
  private inputs = 0;
  private step: Step = Step.OPERATIONAL;
  private icw4Needed = false;
  private single = false;
  private ltim = false;
  private readIsr = false;
  private poll = false;
  private specialMask = false;
  private autoEoi = false;
  private rotateOnAutoEoi = false;
  private specialFullyNested = false;

  constructor(
    readonly name: string,
    /** The master: special fully nested mode concerns its cascade input IR2. */
    private readonly isMaster: boolean,
    private readonly elcrMask: number,
    private readonly changed: () => void,
  ) {}

  setElcr(value: number): void {
    this.elcr = value & this.elcrMask;
  }

  private levelTriggered(mask: number): boolean {
    return this.ltim || (this.elcr & mask) !== 0;
  }

  /**
   * An input changed. Edge mode latches a rising edge in IRR; level mode makes
   * IRR follow the input (datasheet, "Edge and Level Triggered Modes").
   */
  setInput(irq: number, level: boolean, quiet = false): void {
    const mask = 1 << irq;
    if (this.levelTriggered(mask)) {
      this.irr = level ? this.irr | mask : this.irr & ~mask;
    } else if (level && !(this.inputs & mask)) {
      this.irr |= mask;
    }
    this.inputs = level ? this.inputs | mask : this.inputs & ~mask;
    if (!quiet) this.changed();
  }

  /** Priority rank (0 = highest) of the best bit in `mask`, or 8 when empty. */
  private rank(mask: number): number {
    if ((mask & 0xff) === 0) return 8;
    let r = 0;
    while ((mask & (1 << ((r + this.priorityAdd) & 7))) === 0) r++;
    return r;
  }

  /** The input INTA would serve: unmasked, requested, above everything in service; or -1. */
  pending(): number {
    const want = this.rank(this.irr & ~this.imr);
    if (want === 8) return -1;
    let inService = this.isr;
    // Special mask mode: masked in-service levels do not inhibit lower ones (OCW3 SMM).
    if (this.specialMask) inService &= ~this.imr;
    // Special fully nested mode (master): the slave's further requests are not held off by IR2 in service.
    if (this.specialFullyNested && this.isMaster) inService &= ~(1 << 2);
    return want < this.rank(inService) ? (want + this.priorityAdd) & 7 : -1;
  }

  /** The chip's part of INTA: set ISR (unless AEOI), clear an edge request. */
  intack(irq: number): void {
    const mask = 1 << irq;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.priorityAdd = (irq + 1) & 7;
    } else {
      this.isr |= mask;
    }
    // A level request stays in IRR while the input is asserted.
    if (!this.levelTriggered(mask)) this.irr &= ~mask;
    this.changed();
  }

  portRead(offset: number): number {
    if (this.poll) {
      // Poll command: the next read returns 0x80 | level of the best request and acknowledges it.
      this.poll = false;
      const irq = this.pending();
      if (irq < 0) return 0;
      this.intack(irq);
      return 0x80 | irq;
    }
    if (offset & 1) return this.imr;
    return this.readIsr ? this.isr : this.irr;
  }

  portWrite(offset: number, _size: number, value: number): void {
    const v = value & 0xff;
    if (offset & 1) this.writeOdd(v);
    else if (v & ICW1) this.icw1(v);
    else if (v & OCW3) this.ocw3(v);
    else this.ocw2(v);
  }

  /**
   * ICW1 starts initialisation: the edge sense latch is cleared, IMR cleared,
   * IR7 gets the lowest priority, special mask mode is off and reads return IRR.
   */
  private icw1(v: number): void {
    this.step = Step.ICW2;
    this.icw4Needed = (v & ICW1_IC4) !== 0;
    this.single = (v & ICW1_SNGL) !== 0;
    this.ltim = (v & ICW1_LTIM) !== 0;
    this.inputs = 0;
    this.irr &= this.elcr;
    this.imr = 0;
    this.isr = 0;
    this.priorityAdd = 0;
    this.readIsr = false;
    this.poll = false;
    this.specialMask = false;
    this.autoEoi = false;
    this.rotateOnAutoEoi = false;
    this.specialFullyNested = false;
    this.changed();
  }

  /** OCW1 (IMR) once initialised, else the next ICW. ICW3 (cascade wiring) is fixed on the PC. */
  private writeOdd(v: number): void {
    switch (this.step) {
      case Step.OPERATIONAL: this.imr = v; this.changed(); return;
      case Step.ICW2:
        this.vectorBase = v & 0xf8;
        this.step = !this.single ? Step.ICW3 : this.icw4Needed ? Step.ICW4 : Step.OPERATIONAL;
        return;
      case Step.ICW3: this.step = this.icw4Needed ? Step.ICW4 : Step.OPERATIONAL; return;
      case Step.ICW4:
        this.autoEoi = (v & ICW4_AEOI) !== 0;
        this.specialFullyNested = (v & ICW4_SFNM) !== 0;
        this.step = Step.OPERATIONAL;
        return;
    }
  }

  /** OCW2: R, SL, EOI in bits 7:5, level in 2:0 (datasheet table "Operation Command Word 2"). */
  private ocw2(v: number): void {
    const level = v & 7;
    switch (v >>> 5) {
      case 0: this.rotateOnAutoEoi = false; return; // rotate in AEOI mode (clear)
      case 4: this.rotateOnAutoEoi = true; return; // rotate in AEOI mode (set)
      case 1: case 5: { // non-specific EOI, optionally rotating
        const r = this.rank(this.isr);
        if (r === 8) return;
        const irq = (r + this.priorityAdd) & 7;
        this.isr &= ~(1 << irq);
        if (v >>> 5 === 5) this.priorityAdd = (irq + 1) & 7;
        break;
      }
      case 3: this.isr &= ~(1 << level); break; // specific EOI
      case 6: this.priorityAdd = (level + 1) & 7; break; // set priority: `level` becomes lowest
      case 7: this.isr &= ~(1 << level); this.priorityAdd = (level + 1) & 7; break; // rotate on specific EOI
      default: return; // 2: no operation
    }
    this.changed();
  }

  /** OCW3: read register select, poll, special mask mode. */
  private ocw3(v: number): void {
    if (v & OCW3_POLL) this.poll = true;
    if (v & OCW3_RR) this.readIsr = (v & OCW3_RIS) !== 0;
    if (v & OCW3_ESMM) {
      this.specialMask = (v & OCW3_SMM) !== 0;
      this.changed();
    }
  }
}
