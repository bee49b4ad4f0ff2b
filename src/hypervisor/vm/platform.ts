/**
 * The PC platform of a domain: the port and MMIO buses and the devices on
 * them, wired the way QEMU's `-M pc` wires them (COM1 on IRQ4 through both the
 * PIC and the I/O APIC, the PIC on the BSP's LINT0, IRQ0 on GSI 2), plus one
 * local APIC per vCPU and the ACPI tables that describe it all.
 */
import { gp } from '../cpu/fault.js';
import { ACPI_DEFAULT_BASE, buildAcpiTables } from '../devices/acpi-tables.js';
import { isApicMsr } from '../devices/apic-regs.js';
import { PortBus } from '../devices/bus.js';
import { DEBUG_EXIT_PORT, DebugExit } from '../devices/debug-exit.js';
import { ApicMsrError } from '../devices/errors.js';
import { FW_CFG_PORT, FW_CFG_PORT_COUNT, FwCfg } from '../devices/fw-cfg.js';
import { IOAPIC_DEFAULT_BASE, IOAPIC_MMIO_SIZE, IoApic } from '../devices/io-apic.js';
import { ApicRouter } from '../devices/ipi-router.js';
import { isaIrqLine } from '../devices/isa-irq.js';
import { LocalApic } from '../devices/local-apic.js';
import { MmioBus } from '../devices/mmio-bus.js';
import { ELCR_PORT, PIC_MASTER_PORT, PIC_SLAVE_PORT, Pic8259 } from '../devices/pic8259.js';
import { COM1_IRQ, COM1_PORT, Uart16550 } from '../devices/uart16550.js';
import type { PhysicalMemory } from '../mmu/physical.js';
import type { Vcpu } from '../vcpu/vcpu.js';

export interface PlatformOptions {
  cpus: number;
  serialOut: (byte: number) => void;
  /** isa-debug-exit was written: the exit status is (value << 1) | 1. */
  onExit: (status: number) => void;
}

export class Platform {
  readonly ports = new PortBus();
  readonly mmio = new MmioBus();
  readonly router = new ApicRouter();
  readonly pic = new Pic8259();
  readonly ioApic = new IoApic(this.router);
  readonly uart: Uart16550;
  readonly fwCfg: FwCfg;
  readonly apics: LocalApic[] = [];
  readonly rsdp: number;

  constructor(mem: PhysicalMemory, opts: PlatformOptions) {
    mem.mmio = this.mmio;
    this.mmio.attach(IOAPIC_DEFAULT_BASE, IOAPIC_MMIO_SIZE, this.ioApic);
    this.ports.attach(PIC_MASTER_PORT, 2, this.pic.master);
    this.ports.attach(PIC_SLAVE_PORT, 2, this.pic.slave);
    this.ports.attach(ELCR_PORT, 2, this.pic.elcr);
    this.uart = new Uart16550(opts.serialOut, isaIrqLine(COM1_IRQ, this.pic, this.ioApic));
    this.ports.attach(COM1_PORT, 8, this.uart);
    this.ports.attach(DEBUG_EXIT_PORT, 1, new DebugExit(opts.onExit));
    this.fwCfg = new FwCfg({ cpus: opts.cpus, ramSize: mem.size });
    this.ports.attach(FW_CFG_PORT, FW_CFG_PORT_COUNT, this.fwCfg);
    const acpi = buildAcpiTables({ cpus: opts.cpus, base: ACPI_DEFAULT_BASE });
    mem.writeBytes(ACPI_DEFAULT_BASE, acpi.bytes);
    this.rsdp = acpi.rsdpAddress;
  }

  /** Give a vCPU its local APIC, its MMIO window, its MSRs and the port bus. */
  attach(vcpu: Vcpu): LocalApic {
    const bsp = vcpu.id === 0;
    const apic = new LocalApic(vcpu.id, vcpu, vcpu, this.router, { bsp });
    this.router.add(apic);
    this.apics.push(apic);
    apic.onEoi = (vector) => this.ioApic.eoi(vector);
    if (bsp) {
      apic.extInt = this.pic;
      this.pic.onIntr = () => apic.lint(0);
    }
    vcpu.attachInterruptController(apic);
    const c = vcpu.cpu;
    c.io = this.ports;
    c.apicPresent = true;
    c.mmu.local = {
      mmioRead: (pa, size) => (apic.mmioEnabled && pa - apic.mmioBase >= 0 && pa - apic.mmioBase < 4096 ? apic.mmioRead(pa - apic.mmioBase, size) : undefined),
      mmioWrite: (pa, size, value) => {
        if (!apic.mmioEnabled || pa - apic.mmioBase < 0 || pa - apic.mmioBase >= 4096) return false;
        apic.mmioWrite(pa - apic.mmioBase, size, value);
        c.kick(); // TPR, EOI and ICR writes can make an interrupt deliverable
        return true;
      },
    };
    c.platformMsr = {
      read: (msr) => (isApicMsr(msr) ? apicMsr(() => apic.msrRead(msr)) : undefined),
      write: (msr, lo, hi) => {
        if (!isApicMsr(msr)) return false;
        apicMsr(() => apic.msrWrite(msr, lo, hi));
        c.kick();
        return true;
      },
    };
    return apic;
  }
}

/** The APIC reports #GP-worthy MSR accesses as ApicMsrError; to the guest they are #GP(0). */
function apicMsr<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ApicMsrError) gp(0);
    throw e;
  }
}
