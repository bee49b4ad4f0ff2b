/**
 * The 8259A pair against the Intel 8259A datasheet: the ICW1-ICW4 sequence
 * Linux's init_8259A writes, OCW1 masking, OCW2 EOIs and rotation, OCW3
 * register reads and poll, the IR2 cascade, ELCR level mode, spurious IRQ7.
 */
import assert from 'node:assert/strict';
import { PortBus } from '../../../src/hypervisor/devices/bus.js';
import { ELCR_PORT, PIC_MASTER_PORT, PIC_SLAVE_PORT, Pic8259 } from '../../../src/hypervisor/devices/pic8259.js';

interface Rig { pic: Pic8259; out(port: number, v: number): void; inb(port: number): number }

function rig(init = true): Rig {
  const pic = new Pic8259();
  const bus = new PortBus();
  bus.attach(PIC_MASTER_PORT, 2, pic.master);
  bus.attach(PIC_SLAVE_PORT, 2, pic.slave);
  bus.attach(ELCR_PORT, 2, pic.elcr);
  const r: Rig = { pic, out: (p, v) => bus.portOut(p, 1, v), inb: (p) => bus.portIn(p, 1) };
  if (init) {
    // Linux arch/x86/kernel/i8259.c init_8259A: ICW1 edge+ICW4, ICW2 vector base, ICW3 cascade, ICW4 8086 mode.
    r.out(0x20, 0x11); r.out(0x21, 0x20); r.out(0x21, 0x04); r.out(0x21, 0x01);
    r.out(0xa0, 0x11); r.out(0xa1, 0x28); r.out(0xa1, 0x02); r.out(0xa1, 0x01);
    r.out(0x21, 0x00); r.out(0xa1, 0x00);
  }
  return r;
}
/** What the CPU and the guest's handler do: INTA, then EOI (slave first for IRQ 8-15). */
function serve(r: Rig, expect: number): void {
  assert.equal(r.pic.pendingVector(), expect);
  r.pic.acknowledge(expect);
  if (expect >= 0x28) r.out(0xa0, 0x20);
  r.out(0x20, 0x20);
}

describe('Pic8259', () => {
  it('powers up masked: a guest that never programs it gets nothing', () => {
    const r = rig(false);
    r.pic.line(1).pulse();
    assert.equal(r.pic.pendingVector(), -1);
    assert.equal(r.inb(0x21), 0xff);
  });

  it('reads back a mask written with OCW1 (Linux probe_8259A) and masks inputs', () => {
    const r = rig();
    r.out(0x21, 0xff);
    assert.equal(r.inb(0x21), 0xff);
    r.pic.line(1).pulse();
    assert.equal(r.pic.pendingVector(), -1, 'masked');
    r.out(0x21, 0xfd);
    assert.equal(r.pic.pendingVector(), 0x21, 'the edge stayed latched in IRR while masked');
  });

  it('vectors by ICW2 and sets ISR on INTA; non-specific EOI clears it', () => {
    const r = rig();
    r.pic.line(1).pulse();
    assert.equal(r.pic.inta(), 0x21);
    r.out(0x20, 0x0b); // OCW3: read ISR
    assert.equal(r.inb(0x20), 0x02);
    r.out(0x20, 0x0a); // OCW3: read IRR
    assert.equal(r.inb(0x20), 0x00);
    r.out(0x20, 0x20);
    r.out(0x20, 0x0b);
    assert.equal(r.inb(0x20), 0x00);
  });

  it('nests by priority: IR0 preempts IR1 in service, IR3 waits for the EOI', () => {
    const r = rig();
    r.pic.line(3).pulse();
    r.pic.line(1).pulse();
    assert.equal(r.pic.inta(), 0x21);
    assert.equal(r.pic.pendingVector(), -1, 'IR3 is below IR1 in service');
    r.pic.line(0).pulse();
    assert.equal(r.pic.pendingVector(), 0x20);
    serve(r, 0x20);
    r.out(0x20, 0x20);
    serve(r, 0x23);
  });

  it('cascades the slave through IR2 and needs an EOI on both', () => {
    const r = rig();
    r.pic.line(12).pulse();
    assert.equal(r.pic.output, true);
    assert.equal(r.pic.inta(), 0x2c);
    r.pic.line(14).pulse();
    assert.equal(r.pic.pendingVector(), -1, 'IR2 in service on the master');
    r.out(0xa0, 0x20);
    assert.equal(r.pic.pendingVector(), -1, 'still, until the master EOI');
    r.out(0x20, 0x20);
    serve(r, 0x2e);
  });

  it('takes specific EOI and set-priority rotation (OCW2)', () => {
    const r = rig();
    r.pic.line(3).pulse();
    r.pic.line(5).pulse();
    r.out(0x20, 0xc3); // set priority: IR3 lowest, IR4 highest
    assert.equal(r.pic.inta(), 0x25);
    r.out(0x20, 0x65); // specific EOI for IR5
    assert.equal(r.pic.inta(), 0x23);
  });

  it('answers the poll command with 0x80 | level and acknowledges it', () => {
    const r = rig();
    r.pic.line(6).pulse();
    r.out(0x20, 0x0c);
    assert.equal(r.inb(0x20), 0x86);
    r.out(0x20, 0x0c);
    assert.equal(r.inb(0x20), 0x00, 'nothing left');
  });

  it('follows the line in level mode set by ELCR, whose edge-only bits stay clear', () => {
    const r = rig();
    r.out(0x4d0, 0xff);
    r.out(0x4d1, 0xff);
    assert.equal(r.inb(0x4d0), 0xf8);
    assert.equal(r.inb(0x4d1), 0xde);
    r.pic.line(9).set(true);
    serve(r, 0x29);
    assert.equal(r.pic.pendingVector(), 0x29, 'still asserted: requested again');
    r.pic.line(9).set(false);
    // The slave's request was withdrawn after the master latched IR2: the datasheet's
    // default IR7 of the slave, spurious IRQ15 ("Interrupt Sequence", last paragraph).
    assert.equal(r.pic.pendingVector(), 0x2f);
    r.pic.acknowledge(0x2f);
    r.out(0x20, 0x0b);
    assert.equal(r.inb(0x20), 0x04, 'the master took IR2 in service');
    r.out(0xa0, 0x0b);
    assert.equal(r.inb(0xa0), 0x00, 'the slave did not: a spurious IRQ15 gets no slave EOI');
  });

  it('returns the spurious IRQ7 vector for an INTA with nothing requested', () => {
    const r = rig();
    assert.equal(r.pic.inta(), 0x27);
    r.pic.line(10).set(true);
    r.out(0xa1, 0xff); // the slave request goes away after it reached the master
    assert.equal(r.pic.pendingVector(), 0x2f, 'spurious IRQ15 from the slave');
  });

  it('acknowledges automatically in AEOI mode (ICW4 bit 1)', () => {
    const r = rig(false);
    r.out(0x20, 0x11); r.out(0x21, 0x08); r.out(0x21, 0x04); r.out(0x21, 0x03);
    r.pic.line(0).pulse();
    r.pic.line(1).pulse();
    assert.equal(r.pic.inta(), 0x08);
    assert.equal(r.pic.inta(), 0x09, 'no ISR bit was left behind');
  });

  it('calls onIntr when INTR rises', () => {
    const r = rig();
    let raised = 0;
    r.pic.onIntr = () => raised++;
    r.pic.line(4).pulse();
    r.pic.line(3).pulse();
    assert.equal(raised, 1, 'INTR was already high');
    assert.equal(r.pic.inta(), 0x23);
    assert.equal(r.pic.output, false, 'IR4 waits below IR3 in service');
    r.out(0x20, 0x20);
    assert.equal(raised, 2, 'the EOI let IR4 through');
    assert.equal(r.pic.inta(), 0x24);
    r.out(0x20, 0x20);
    r.pic.line(4).pulse();
    assert.equal(raised, 3);
  });
});
