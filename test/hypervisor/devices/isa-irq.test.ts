/**
 * The devices wired as a PC: COM1 on ISA IRQ4 reaches both the 8259A pair
 * and the I/O APIC; IRQ0 enters the I/O APIC at pin 2 (the MADT override);
 * the PIC reaches the BSP through LINT0 in virtual-wire mode.
 */
import assert from 'node:assert/strict';
import { ApicReg } from '../../../src/hypervisor/devices/apic-regs.js';
import { IoApic } from '../../../src/hypervisor/devices/io-apic.js';
import { isaIrqLine, isaIrqToGsi } from '../../../src/hypervisor/devices/isa-irq.js';
import { Pic8259 } from '../../../src/hypervisor/devices/pic8259.js';
import { COM1_IRQ, Uart16550 } from '../../../src/hypervisor/devices/uart16550.js';
import { cpus } from './fakes.js';

function platform() {
  const c = cpus(2);
  const bsp = c.apics[0]!;
  const pic = new Pic8259();
  const io = new IoApic(c.router);
  bsp.extInt = pic;
  pic.onIntr = () => bsp.lint(0);
  for (const a of c.apics) a.onEoi = (v) => io.eoi(v);
  const uart = new Uart16550(() => {}, isaIrqLine(COM1_IRQ, pic, io));
  return { ...c, bsp, pic, io, uart };
}
function picInit(pic: Pic8259, masterMask: number): void {
  const out = (chip: Pic8259['master'], off: number, v: number): void => chip.portWrite(off, 1, v);
  out(pic.master, 0, 0x11); out(pic.master, 1, 0x30); out(pic.master, 1, 0x04); out(pic.master, 1, 0x01);
  out(pic.slave, 0, 0x11); out(pic.slave, 1, 0x38); out(pic.slave, 1, 0x02); out(pic.slave, 1, 0x01);
  out(pic.master, 1, masterMask); out(pic.slave, 1, 0xff);
}

describe('ISA interrupt wiring', () => {
  it('maps ISA IRQ0 to GSI 2 and every other IRQ to its own pin', () => {
    assert.deepEqual([0, 1, 2, 4, 15].map(isaIrqToGsi), [2, 1, 2, 4, 15]);
  });

  it('delivers COM1 through the I/O APIC when the PIC is masked (what guests do)', () => {
    const p = platform();
    picInit(p.pic, 0xff);
    p.io.mmioWrite(0, 1, 0x10 + 2 * 4);
    p.io.mmioWrite(0x10, 4, 0x44); // pin 4: vector 0x44, fixed, edge, physical APIC 0
    p.uart.portWrite(4, 1, 0x08); // OUT2
    p.uart.portWrite(1, 1, 0x02); // THRE interrupt
    assert.equal(p.bsp.pendingVector(), 0x44);
    assert.equal(p.pic.pendingVector(), -1);
  });

  it('delivers COM1 through the PIC and LINT0 ExtINT when the I/O APIC pin is masked', () => {
    const p = platform();
    picInit(p.pic, 0xef); // only IRQ4 unmasked
    const kicks = p.signals[0]!.kicks;
    p.uart.portWrite(4, 1, 0x08);
    p.uart.portWrite(1, 1, 0x02);
    assert.ok(p.signals[0]!.kicks > kicks, 'INTR woke the BSP through LINT0');
    assert.equal(p.bsp.pendingVector(), 0x34);
    p.bsp.acknowledge(0x34);
    assert.equal(p.pic.pendingVector(), -1, 'INTA put IRQ4 in service');
    assert.equal(p.uart.portRead(2, 1), 0x02, 'the handler reads IIR: THRE');
    p.pic.master.portWrite(0, 1, 0x20);
    assert.equal(p.bsp.pendingVector(), -1);
    assert.equal(p.apics[1]!.pendingVector(), -1, 'only the BSP has LINT0 as ExtINT');
  });

  it('stops taking the PIC once the guest masks LINT0', () => {
    const p = platform();
    picInit(p.pic, 0xef);
    p.bsp.mmioWrite(ApicReg.LVT_LINT0, 4, 0x10700);
    p.uart.portWrite(4, 1, 0x08);
    p.uart.portWrite(1, 1, 0x02);
    assert.equal(p.pic.output, true);
    assert.equal(p.bsp.pendingVector(), -1);
  });
});
