/**
 * ISA interrupt wiring of a PC: each ISA IRQ reaches both the 8259A pair and
 * the I/O APIC, and IRQ0 (the PIT) enters the I/O APIC at pin 2, which is
 * what the MADT's interrupt source override tells the guest (ACPI 6.5
 * §5.2.12.5; the same wiring as QEMU's pc machine).
 */
import type { IrqLine } from './interrupts.js';

/** One line driving several inputs. */
export function fanOut(...lines: IrqLine[]): IrqLine {
  return {
    set: (level) => { for (const l of lines) l.set(level); },
    pulse: () => { for (const l of lines) l.pulse(); },
  };
}

/** The I/O APIC pin (GSI) of ISA IRQ `irq`. */
export const isaIrqToGsi = (irq: number): number => (irq === 0 ? 2 : irq);

/** ISA IRQ `irq` as a device sees it: the PIC input and the matching I/O APIC pin. */
export function isaIrqLine(
  irq: number,
  pic: { line(n: number): IrqLine },
  ioApic: { line(pin: number): IrqLine },
): IrqLine {
  return fanOut(pic.line(irq), ioApic.line(isaIrqToGsi(irq)));
}
