/**
 * A 16550A UART as a guest driver sees it (National Semiconductor PC16550D
 * datasheet, "Register Summary"). Transmission is instantaneous: THR is always
 * empty, so a polling driver never waits. Received bytes queue in the FIFO.
 * Interrupt delivery arrives with the interrupt controllers.
 */
import type { BusDevice } from './bus.js';

export const COM1_PORT = 0x3f8;

const LSR_DR = 0x01, LSR_THRE = 0x20, LSR_TEMT = 0x40;
const LCR_DLAB = 0x80;
const IIR_NO_INT = 0x01, IIR_FIFO = 0xc0;
const MCR_LOOP = 0x10;

export class Uart16550 implements BusDevice {
  readonly name = 'uart16550';
  private ier = 0;
  private lcr = 0x03;
  private mcr = 0;
  private scr = 0;
  private dll = 0x0c;
  private dlm = 0;
  private fifoEnabled = false;
  private readonly rx: number[] = [];

  constructor(private readonly output: (byte: number) => void) {}

  /** Queue bytes for the guest to read. */
  receive(bytes: Uint8Array): void {
    for (const b of bytes) this.rx.push(b);
  }

  portRead(offset: number): number {
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (offset) {
      case 0: return dlab ? this.dll : this.rx.shift() ?? 0;
      case 1: return dlab ? this.dlm : this.ier;
      case 2: return IIR_NO_INT | (this.fifoEnabled ? IIR_FIFO : 0);
      case 3: return this.lcr;
      case 4: return this.mcr;
      case 5: return LSR_THRE | LSR_TEMT | (this.rx.length > 0 ? LSR_DR : 0);
      case 6: return this.mcr & MCR_LOOP ? ((this.mcr & 0x0f) << 4) : 0xb0; // CTS, DSR, DCD asserted
      default: return this.scr;
    }
  }

  portWrite(offset: number, _size: number, value: number): void {
    const v = value & 0xff;
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (offset) {
      case 0:
        if (dlab) this.dll = v;
        else if (this.mcr & MCR_LOOP) this.rx.push(v);
        else this.output(v);
        return;
      case 1: if (dlab) this.dlm = v; else this.ier = v & 0x0f; return;
      case 2: this.fifoEnabled = (v & 1) !== 0; if (v & 2) this.rx.length = 0; return;
      case 3: this.lcr = v; return;
      case 4: this.mcr = v & 0x1f; return;
      case 7: this.scr = v; return;
      default: return; // LSR and MSR are read-only
    }
  }
}
