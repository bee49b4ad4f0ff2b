/**
 * The I/O APIC (Intel 82093AA datasheet): 24 interrupt input pins, each with
 * a redirection entry that turns the pin into an interrupt message for the
 * local APICs. Registers are reached indirectly: IOREGSEL at offset 0x00 of
 * the MMIO page selects one, IOWIN at 0x10 reads or writes it (§3.1).
 *
 * Inputs are IrqLines carrying the asserted state; the polarity bit is kept
 * for the guest to read but not applied (as in QEMU), since device models
 * here raise "asserted", not an electrical level.
 */
import { Shorthand, type ApicMessage, type IpiRouter } from './apic-message.js';
import { DeviceConfigError } from './errors.js';
import type { IrqLine } from './interrupts.js';
import type { MmioDevice } from './mmio-bus.js';

export const IOAPIC_DEFAULT_BASE = 0xfec00000;
export const IOAPIC_PINS = 24;
/** The MMIO window: IOREGSEL, IOWIN and nothing else in the 82093AA's 4 KiB page. */
export const IOAPIC_MMIO_SIZE = 0x1000;

/** Indirect register indices (82093AA §3.1, table 2). */
export const IoApicReg = { ID: 0x00, VERSION: 0x01, ARB: 0x02, REDTBL: 0x10 } as const;
/** 82093AA version 0x11; bits 23:16 = maximum redirection entry (24 pins). */
export const IOAPIC_VERSION = 0x11 | ((IOAPIC_PINS - 1) << 16);

/** Redirection entry low dword (82093AA §3.2.4). */
export const Rte = {
  LOGICAL: 1 << 11, DELIVERY_STATUS: 1 << 12, POLARITY_LOW: 1 << 13, REMOTE_IRR: 1 << 14,
  LEVEL: 1 << 15, MASKED: 1 << 16,
} as const;
/** Vector, delivery mode, destination mode, polarity, trigger mode, mask; status and remote IRR are read-only. */
const RTE_LO_WRITABLE = 0x1afff;
const RTE_HI_WRITABLE = 0xff000000;
const MODE_FIXED = 0, MODE_LOWEST = 1;

export interface IoApicOptions {
  /** I/O APIC ID (bits 27:24 of the ID register); the MADT must say the same. Default 0, as QEMU. */
  id?: number;
}

export class IoApic implements MmioDevice {
  readonly name = 'ioapic';
  private id: number;
  private select = 0;
  private readonly lo = new Uint32Array(IOAPIC_PINS).fill(Rte.MASKED);
  private readonly hi = new Uint32Array(IOAPIC_PINS);
  /** Current input level of each pin. */
  private readonly asserted = new Uint8Array(IOAPIC_PINS);
  private readonly lines: IrqLine[];

  constructor(private readonly router: IpiRouter, opts: IoApicOptions = {}) {
    this.id = opts.id ?? 0;
    if (!Number.isInteger(this.id) || this.id < 0 || this.id > 15) throw new DeviceConfigError(`I/O APIC ID ${this.id} does not fit 4 bits`);
    this.lines = Array.from({ length: IOAPIC_PINS }, (_, pin) => ({
      set: (level: boolean) => this.setIrq(pin, level),
      pulse: () => this.pulseIrq(pin),
    }));
  }

  /** The input line of `pin` (GSI `pin`, since this I/O APIC's GSI base is 0). */
  line(pin: number): IrqLine {
    const l = this.lines[pin];
    if (!l) throw new DeviceConfigError(`I/O APIC has no pin ${pin}`);
    return l;
  }

  /**
   * Edge-triggered pins deliver on a rising edge; level-triggered pins deliver
   * while asserted, once per remote-IRR cycle. Inputs on a masked pin are
   * ignored, "not delivered or held pending" (82093AA §3.2.4, bit 16).
   */
  setIrq(pin: number, level: boolean): void {
    const was = this.asserted[pin] === 1;
    this.asserted[pin] = level ? 1 : 0;
    if (!level) return;
    if (this.lo[pin]! & Rte.LEVEL || !was) this.deliver(pin);
  }

  pulseIrq(pin: number): void {
    this.setIrq(pin, true);
    this.setIrq(pin, false);
  }

  /**
   * A local APIC's EOI for a level-triggered `vector`: clear remote IRR of the
   * entries using it, and deliver again if the line is still asserted (§3.2.4 bit 14).
   */
  eoi(vector: number): void {
    for (let pin = 0; pin < IOAPIC_PINS; pin++) {
      const lo = this.lo[pin]!;
      if ((lo & 0xff) !== vector || !(lo & Rte.REMOTE_IRR)) continue;
      this.lo[pin] = (lo & ~Rte.REMOTE_IRR) >>> 0;
      if (this.asserted[pin]) this.deliver(pin);
    }
  }

  /** Redirection entry `pin` as [low, high] dwords (for tests and introspection). */
  entry(pin: number): [lo: number, hi: number] {
    return [this.lo[pin]!, this.hi[pin]!];
  }

  private deliver(pin: number): void {
    const lo = this.lo[pin]!;
    if (lo & Rte.MASKED) return;
    const level = (lo & Rte.LEVEL) !== 0;
    if (level && lo & Rte.REMOTE_IRR) return;
    const mode = (lo >>> 8) & 7;
    const msg: ApicMessage = {
      vector: lo & 0xff, mode, logical: (lo & Rte.LOGICAL) !== 0, assert: true, level,
      shorthand: Shorthand.NONE, dest: this.hi[pin]! >>> 24, x2apic: false,
    };
    const accepted = this.router.send(msg, -1);
    // Remote IRR tracks a level interrupt a local APIC accepted and will EOI: only
    // fixed and lowest-priority messages have an EOI (NMI, INIT, ExtINT do not).
    if (level && accepted && (mode === MODE_FIXED || mode === MODE_LOWEST)) this.lo[pin] = (lo | Rte.REMOTE_IRR) >>> 0;
  }

  private readRegister(index: number): number {
    switch (index) {
      case IoApicReg.ID: return this.id << 24;
      case IoApicReg.VERSION: return IOAPIC_VERSION;
      // The arbitration ID is loaded from the ID register (§3.2.3).
      case IoApicReg.ARB: return this.id << 24;
    }
    const pin = (index - IoApicReg.REDTBL) >>> 1;
    if (index < IoApicReg.REDTBL || pin >= IOAPIC_PINS) return 0;
    return index & 1 ? this.hi[pin]! : this.lo[pin]!;
  }

  private writeRegister(index: number, value: number): void {
    if (index === IoApicReg.ID) { this.id = (value >>> 24) & 0xf; return; }
    const pin = (index - IoApicReg.REDTBL) >>> 1;
    if (index < IoApicReg.REDTBL || pin >= IOAPIC_PINS) return;
    if (index & 1) { this.hi[pin] = (value & RTE_HI_WRITABLE) >>> 0; return; }
    let lo = (value & RTE_LO_WRITABLE) | (this.lo[pin]! & Rte.REMOTE_IRR);
    // An edge-triggered entry has no remote IRR. Linux relies on this to clear a stuck
    // one (it reprograms the pin as edge, then level: ioapic.c, __eoi_ioapic_pin), as QEMU does.
    if (!(lo & Rte.LEVEL)) lo &= ~Rte.REMOTE_IRR;
    this.lo[pin] = lo >>> 0;
    // A level that is still asserted is seen once the entry is unmasked.
    if (lo & Rte.LEVEL && this.asserted[pin]) this.deliver(pin);
  }

  mmioRead(offset: number, _size?: number): number {
    if (offset === 0x00) return this.select;
    if (offset === 0x10) return this.readRegister(this.select) >>> 0;
    return 0;
  }

  mmioWrite(offset: number, _size: number, value: number): void {
    if (offset === 0x00) this.select = value & 0xff;
    else if (offset === 0x10) this.writeRegister(this.select, value >>> 0);
  }
}
