/**
 * A 16550A UART as a guest driver sees it (National Semiconductor PC16550D
 * datasheet, "Register Summary"). Transmission is instantaneous: THR is always
 * empty, so a polling driver never waits. Received bytes queue in the FIFO.
 *
 * Interrupts (datasheet table IV, "Interrupt Control Functions"): four sources
 * enabled by IER, reported through IIR in priority order receiver line status >
 * received data (or, with FIFOs, character timeout) > THR empty > modem status.
 * On a PC the INTR pin reaches the interrupt controllers only while MCR OUT2
 * is set (it gates the IRQ driver on the board); COM1 is IRQ4.
 */
import type { BusDevice } from './bus.js';
import type { IrqLine } from './interrupts.js';

export const COM1_PORT = 0x3f8;
export const COM1_IRQ = 4;

const LSR_DR = 0x01, LSR_BI = 0x10, LSR_THRE = 0x20, LSR_TEMT = 0x40, LSR_FIFO_ERROR = 0x80;
const LCR_DLAB = 0x80;
const IER_RDA = 0x01, IER_THRE = 0x02, IER_RLS = 0x04, IER_MS = 0x08;
const MCR_OUT2 = 0x08, MCR_LOOP = 0x10;
const FCR_ENABLE = 0x01, FCR_CLEAR_RX = 0x02;

/** IIR bits 3:0 (bit 0 = no interrupt pending); bits 7:6 read 11 with FIFOs enabled. */
export const Iir = {
  NONE: 0x01, MODEM_STATUS: 0x00, THR_EMPTY: 0x02, RX_DATA: 0x04, LINE_STATUS: 0x06, CHAR_TIMEOUT: 0x0c,
} as const;
const IIR_FIFO = 0xc0;

/** FCR bits 7:6: receiver FIFO trigger level. */
const RX_TRIGGER = [1, 4, 8, 14] as const;

export class Uart16550 implements BusDevice {
  readonly name = 'uart16550';
  private ier = 0;
  private lcr = 0x03;
  private mcr = 0;
  private scr = 0;
  private dll = 0x0c;
  private dlm = 0;
  private fifoEnabled = false;
  private rxTrigger = 1;
  /** LSR bits 4:1 (overrun, parity, framing, break), the line status interrupt sources; reading LSR clears them. */
  private lineErrors = 0;
  /** MSR delta bits 3:0, cleared by reading MSR. */
  private msrDeltas = 0;
  /** The THRE interrupt is pending (it is an event, not the LSR bit: see `portWrite` of IER). */
  private thrEmptyPending = false;
  private irqLevel = false;
  private readonly rx: number[] = [];

  /** `irq` is the ISA line the INTR pin drives through OUT2 (COM1: IRQ4 at the PIC and the I/O APIC). */
  constructor(private readonly output: (byte: number) => void, private readonly irq?: IrqLine) {}

  /** Queue bytes for the guest to read. */
  receive(bytes: Uint8Array): void {
    for (const b of bytes) this.rx.push(b);
    this.updateIrq();
  }

  /** A break condition on the receive line (e.g. the host's "send break", Linux's magic SysRq): a NUL character with BI. */
  sendBreak(): void {
    this.rx.push(0);
    this.lineErrors |= LSR_BI;
    this.updateIrq();
  }

  /** The interrupt identification, highest-priority source first (datasheet table IV). */
  private identify(): number {
    if (this.ier & IER_RLS && this.lineErrors) return Iir.LINE_STATUS;
    if (this.ier & IER_RDA && this.rx.length > 0) {
      // Fewer bytes than the trigger level: the character timeout has (instantly) elapsed.
      return !this.fifoEnabled || this.rx.length >= this.rxTrigger ? Iir.RX_DATA : Iir.CHAR_TIMEOUT;
    }
    if (this.ier & IER_THRE && this.thrEmptyPending) return Iir.THR_EMPTY;
    if (this.ier & IER_MS && this.msrDeltas) return Iir.MODEM_STATUS;
    return Iir.NONE;
  }

  /** INTR gated by OUT2; loopback mode forces OUT2 inactive on the pin (datasheet, MCR bit 4). */
  private updateIrq(): void {
    const level = this.identify() !== Iir.NONE && (this.mcr & (MCR_OUT2 | MCR_LOOP)) === MCR_OUT2;
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    this.irq?.set(level);
  }

  /** MSR bits 7:4. Loopback: CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2; otherwise CTS, DSR and DCD asserted. */
  private modemLines(mcr = this.mcr): number {
    if (!(mcr & MCR_LOOP)) return 0xb0;
    return ((mcr & 0x02) << 3) | ((mcr & 0x01) << 5) | ((mcr & 0x0c) << 4);
  }

  private lsr(): number {
    return LSR_THRE | LSR_TEMT | this.lineErrors | (this.rx.length > 0 ? LSR_DR : 0) |
      (this.fifoEnabled && this.lineErrors ? LSR_FIFO_ERROR : 0);
  }

  portRead(offset: number, _size?: number): number {
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (offset) {
      case 0: {
        if (dlab) return this.dll;
        const b = this.rx.shift() ?? 0;
        this.updateIrq();
        return b;
      }
      case 1: return dlab ? this.dlm : this.ier;
      case 2: {
        const id = this.identify();
        // Reading IIR while THRE is the reported source clears it (datasheet table IV).
        if (id === Iir.THR_EMPTY) { this.thrEmptyPending = false; this.updateIrq(); }
        return id | (this.fifoEnabled ? IIR_FIFO : 0);
      }
      case 3: return this.lcr;
      case 4: return this.mcr;
      case 5: {
        const v = this.lsr();
        if (this.lineErrors) { this.lineErrors = 0; this.updateIrq(); }
        return v;
      }
      case 6: {
        const v = this.modemLines() | this.msrDeltas;
        if (this.msrDeltas) { this.msrDeltas = 0; this.updateIrq(); }
        return v;
      }
      default: return this.scr;
    }
  }

  portWrite(offset: number, _size: number, value: number): void {
    const v = value & 0xff;
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (offset) {
      case 0:
        if (dlab) { this.dll = v; return; }
        // Writing THR clears the THRE interrupt; the byte leaves at once and THR is empty
        // again, a fresh THRE event (an edge on the IRQ line, as after a real transmission).
        this.thrEmptyPending = false;
        this.updateIrq();
        if (this.mcr & MCR_LOOP) this.rx.push(v);
        else this.output(v);
        this.thrEmptyPending = true;
        this.updateIrq();
        return;
      case 1: {
        if (dlab) { this.dlm = v; return; }
        const enabling = (v & IER_THRE) !== 0 && !(this.ier & IER_THRE);
        this.ier = v & 0x0f;
        // Enabling the THRE interrupt while THR is empty raises it (QEMU's serial.c and
        // Bochs do this on the rising edge of IER bit 1; Windows and Linux rely on it).
        if (enabling) this.thrEmptyPending = true;
        else if (!(this.ier & IER_THRE)) this.thrEmptyPending = false;
        this.updateIrq();
        return;
      }
      case 2:
        this.fifoEnabled = (v & FCR_ENABLE) !== 0;
        this.rxTrigger = RX_TRIGGER[v >>> 6]!;
        if (v & FCR_CLEAR_RX) this.rx.length = 0;
        this.updateIrq();
        return;
      case 3: this.lcr = v; return;
      case 4: this.writeMcr(v & 0x1f); return;
      case 7: this.scr = v; return;
      default: return; // LSR and MSR are read-only
    }
  }

  /** Modem line changes become MSR delta bits: DCTS, DDSR, TERI (RI falling), DDCD. */
  private writeMcr(v: number): void {
    const before = this.modemLines(), after = this.modemLines(v);
    const changed = before ^ after;
    this.msrDeltas |= ((changed >>> 4) & 0x0b) | ((before & ~after & 0x40) >>> 4);
    this.mcr = v;
    this.updateIrq();
  }
}
