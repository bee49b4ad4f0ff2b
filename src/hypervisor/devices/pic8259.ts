/**
 * The PC's cascaded pair of 8259A PICs (Intel 8259A datasheet): master on
 * ports 0x20/0x21, slave on 0xA0/0xA1 wired to the master's IR2, and the
 * edge/level control registers (ELCR) at 0x4D0/0x4D1 of the PIIX/ICH south
 * bridges. The pair's INTR output reaches the BSP through its local APIC's
 * LINT0 (ExtINT, "virtual wire"): the local APIC asks `pendingVector()` and
 * runs the INTA cycle with `acknowledge()`.
 *
 * Modern guests only need it present and maskable: they program it, mask it
 * (out 0x21, 0xff) and use the I/O APIC. Power-on state: uninitialised with
 * every input masked, so a guest that never programs the PIC never hears from it
 * (the datasheet leaves IMR undefined until ICW1; this is the safe choice
 * without a BIOS).
 */
import type { BusDevice } from './bus.js';
import type { InterruptController, IrqLine } from './interrupts.js';
import { DeviceConfigError } from './errors.js';
import { Pic8259Chip } from './pic8259-chip.js';

export const PIC_MASTER_PORT = 0x20;
export const PIC_SLAVE_PORT = 0xa0;
export const ELCR_PORT = 0x4d0;
/** The master input the slave's INTR drives. */
export const CASCADE_IRQ = 2;

/**
 * ELCR bits that can be set: IRQ0, 1, 2, 8 and 13 are edge-only on the PC
 * (PIIX4 datasheet §4.1.13; the same masks as QEMU's i8259).
 */
const ELCR_MASK = [0xf8, 0xde] as const;

export class Pic8259 implements InterruptController {
  readonly master: Pic8259Chip;
  readonly slave: Pic8259Chip;
  /** Ports 0x4D0 (master) and 0x4D1 (slave). */
  readonly elcr: BusDevice;
  /** Called when INTR rises: the domain calls the BSP local APIC's `lint(0)` so a halted vCPU wakes. */
  onIntr: (() => void) | undefined;
  private intr = false;
  private readonly lines: IrqLine[];

  constructor() {
    this.master = new Pic8259Chip('pic-master', true, ELCR_MASK[0], () => this.update());
    this.slave = new Pic8259Chip('pic-slave', false, ELCR_MASK[1], () => this.update());
    const chips = [this.master, this.slave];
    this.elcr = {
      name: 'elcr',
      portRead: (offset) => chips[offset & 1]!.elcr,
      portWrite: (offset, _size, value) => chips[offset & 1]!.setElcr(value),
    };
    this.lines = Array.from({ length: 16 }, (_, n) => ({
      set: (level: boolean) => this.setIrq(n, level),
      pulse: () => { this.setIrq(n, true); this.setIrq(n, false); },
    }));
  }

  /** ISA IRQ `n` (0-15); IRQ 2 is the cascade and is not wired to a device. */
  line(n: number): IrqLine {
    const l = this.lines[n];
    if (!l) throw new DeviceConfigError(`the PIC has no IRQ ${n}`);
    return l;
  }

  setIrq(n: number, level: boolean): void {
    if (n < 8) this.master.setInput(n, level);
    else this.slave.setInput(n - 8, level);
  }

  /** The INTR output to the CPU. */
  get output(): boolean {
    return this.intr;
  }

  /** The vector the next INTA cycle would return, or -1 when INTR is low. Side-effect free. */
  pendingVector(): number {
    const irq = this.master.pending();
    if (irq < 0) return -1;
    if (irq !== CASCADE_IRQ) return this.master.vectorBase + irq;
    const s = this.slave.pending();
    // Spurious IRQ15: the slave dropped its request between INTR and INTA (datasheet, "Interrupt Sequence").
    return this.slave.vectorBase + (s < 0 ? 7 : s);
  }

  /** The INTA cycle (datasheet "Interrupt Sequence"); `pendingVector()` told the caller what it returns. */
  acknowledge(_vector?: number): void {
    this.inta();
  }

  /** INTA, returning the vector; with nothing pending it is the master's spurious IRQ7. */
  inta(): number {
    const irq = this.master.pending();
    if (irq < 0) return this.master.vectorBase + 7;
    let vector = this.master.vectorBase + irq;
    if (irq === CASCADE_IRQ) {
      const s = this.slave.pending();
      if (s >= 0) this.slave.intack(s);
      vector = this.slave.vectorBase + (s < 0 ? 7 : s);
    }
    this.master.intack(irq);
    return vector;
  }

  /** The slave's INTR is the master's IR2; INTR to the CPU follows the master. */
  private update(): void {
    this.master.setInput(CASCADE_IRQ, this.slave.pending() >= 0, true);
    const intr = this.master.pending() >= 0;
    const rose = intr && !this.intr;
    this.intr = intr;
    if (rose) this.onIntr?.();
  }
}
