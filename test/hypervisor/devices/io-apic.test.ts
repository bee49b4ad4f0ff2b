/**
 * The I/O APIC against the Intel 82093AA datasheet: indirect register access,
 * version and ID, redirection entries, edge and level pins, remote IRR and EOI.
 */
import assert from 'node:assert/strict';
import { ApicReg } from '../../../src/hypervisor/devices/apic-regs.js';
import { IoApic, Rte } from '../../../src/hypervisor/devices/io-apic.js';
import type { LocalApic } from '../../../src/hypervisor/devices/local-apic.js';
import { cpus, type Cpus } from './fakes.js';

function setup(n = 2): Cpus & { io: IoApic } {
  const c = cpus(n);
  const io = new IoApic(c.router);
  for (const a of c.apics) a.onEoi = (v) => io.eoi(v);
  return { ...c, io };
}
function reg(io: IoApic, index: number, value?: number): number {
  io.mmioWrite(0x00, 1, index);
  if (value !== undefined) io.mmioWrite(0x10, 4, value);
  return io.mmioRead(0x10, 4);
}
function route(io: IoApic, pin: number, lo: number, destApic = 0): void {
  reg(io, 0x11 + 2 * pin, destApic << 24);
  reg(io, 0x10 + 2 * pin, lo);
}
/** The guest's interrupt handler: take the vector, then EOI. */
function handle(a: LocalApic, vector: number): void {
  assert.equal(a.pendingVector(), vector);
  a.acknowledge(vector);
  a.mmioWrite(ApicReg.EOI, 4, 0);
}

describe('IoApic', () => {
  it('reports version 0x11 with 24 entries, and a 4-bit ID also read as arbitration ID (§3.2.1-3)', () => {
    const { io } = setup();
    assert.equal(reg(io, 0x01), 0x00170011);
    assert.equal(reg(io, 0x00), 0);
    reg(io, 0x00, 0x0a000000);
    assert.equal(reg(io, 0x00), 0x0a000000);
    assert.equal(reg(io, 0x02), 0x0a000000);
    assert.equal(io.mmioRead(0x00, 4), 0x02, 'IOREGSEL reads back');
  });

  it('starts with every entry masked and keeps status and remote IRR read-only', () => {
    const { io } = setup();
    for (let pin = 0; pin < 24; pin++) assert.equal(reg(io, 0x10 + 2 * pin), Rte.MASKED);
    reg(io, 0x10, 0xffffffff);
    assert.equal(reg(io, 0x10), 0x1afff);
    reg(io, 0x11, 0xffffffff);
    assert.equal(reg(io, 0x11), 0xff000000);
    assert.equal(reg(io, 0x40), 0, 'beyond the table');
  });

  it('delivers an edge pin once per rising edge', () => {
    const c = setup();
    route(c.io, 4, 0x34, 1);
    c.io.line(4).set(true);
    c.io.line(4).set(true);
    assert.ok(c.apics[1]!.irrBit(0x34) && !c.apics[0]!.irrBit(0x34));
    handle(c.apics[1]!, 0x34);
    c.io.line(4).set(true);
    assert.equal(c.apics[1]!.pendingVector(), -1, 'no edge, no interrupt');
    c.io.line(4).set(false);
    c.io.line(4).pulse();
    assert.equal(c.apics[1]!.pendingVector(), 0x34);
  });

  it('ignores edges on a masked pin: they are not held pending (§3.2.4 bit 16)', () => {
    const c = setup();
    route(c.io, 1, Rte.MASKED | 0x31);
    c.io.line(1).pulse();
    route(c.io, 1, 0x31);
    assert.equal(c.apics[0]!.pendingVector(), -1);
  });

  it('holds a level pin in remote IRR until EOI, then delivers again while asserted', () => {
    const c = setup();
    route(c.io, 10, Rte.LEVEL | 0x3a);
    const a = c.apics[0]!;
    c.io.line(10).set(true);
    assert.ok(a.tmrBit(0x3a), 'level-triggered in TMR');
    assert.ok(c.io.entry(10)[0] & Rte.REMOTE_IRR);
    a.acknowledge(0x3a);
    c.io.line(10).set(true);
    assert.ok(!a.irrBit(0x3a), 'remote IRR blocks redelivery');
    a.mmioWrite(ApicReg.EOI, 4, 0); // EOI broadcast clears remote IRR; the line is still up
    assert.ok(a.irrBit(0x3a));
    c.io.line(10).set(false);
    handle(a, 0x3a);
    assert.equal(c.io.entry(10)[0] & Rte.REMOTE_IRR, 0);
    assert.equal(a.pendingVector(), -1, 'deasserted: no more');
  });

  it('delivers an asserted level pin when it is unmasked', () => {
    const c = setup();
    route(c.io, 9, Rte.MASKED | Rte.LEVEL | 0x39);
    c.io.line(9).set(true);
    assert.equal(c.apics[0]!.pendingVector(), -1);
    route(c.io, 9, Rte.LEVEL | 0x39);
    assert.equal(c.apics[0]!.pendingVector(), 0x39);
  });

  it('clears a stuck remote IRR when the entry is reprogrammed as edge (Linux relies on this)', () => {
    const c = setup();
    route(c.io, 5, Rte.LEVEL | 0x35);
    c.io.line(5).set(true);
    c.io.line(5).set(false);
    assert.ok(c.io.entry(5)[0] & Rte.REMOTE_IRR);
    route(c.io, 5, 0x35);
    assert.equal(c.io.entry(5)[0] & Rte.REMOTE_IRR, 0);
  });

  it('routes through logical destinations and the NMI delivery mode', () => {
    const c = setup(3);
    c.apics.forEach((a, i) => a.mmioWrite(ApicReg.LDR, 4, (1 << i) << 24));
    route(c.io, 3, Rte.LOGICAL | 0x33, 0x06);
    c.io.line(3).pulse();
    assert.deepEqual(c.apics.map((a) => a.irrBit(0x33)), [false, true, true]);
    route(c.io, 7, Rte.LEVEL | (4 << 8), 2);
    c.io.line(7).set(true);
    assert.deepEqual(c.signals[2]!.log, ['nmi']);
    assert.equal(c.io.entry(7)[0] & Rte.REMOTE_IRR, 0, 'NMI has no EOI, so no remote IRR');
  });
});
