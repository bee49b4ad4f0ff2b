/**
 * The 16550A UART against the PC16550D datasheet: polling behaviour, IIR
 * priority (table IV), the THRE interrupt, FIFO character timeout, modem
 * status in loopback, and OUT2 gating of the PC's IRQ line.
 */
import assert from 'node:assert/strict';
import { Iir, Uart16550 } from '../../../src/hypervisor/devices/uart16550.js';
import { RecordingLine } from './fakes.js';

const RBR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6;
const OUT2 = 0x08, LOOP = 0x10;

function uart(): { u: Uart16550; out: number[]; irq: RecordingLine } {
  const out: number[] = [], irq = new RecordingLine();
  return { u: new Uart16550((b) => out.push(b), irq), out, irq };
}
const w = (u: Uart16550, off: number, v: number): void => u.portWrite(off, 1, v);
const r = (u: Uart16550, off: number): number => u.portRead(off, 1);

describe('Uart16550', () => {
  it('keeps the polling behaviour: instant transmit, queued receive, divisor latch', () => {
    const { u, out } = uart();
    assert.equal(r(u, LSR), 0x60, 'THRE and TEMT, no data');
    w(u, 0, 0x41);
    assert.deepEqual(out, [0x41]);
    u.receive(Uint8Array.of(1, 2));
    assert.equal(r(u, LSR) & 1, 1);
    assert.equal(r(u, RBR), 1);
    assert.equal(r(u, RBR), 2);
    w(u, LCR, 0x83);
    w(u, 0, 0x01);
    assert.equal(r(u, 0), 0x01, 'DLL');
    w(u, LCR, 0x03);
    assert.equal(r(u, IIR), Iir.NONE);
  });

  it('raises THRE when IER enables it, clears it on an IIR read that reports it', () => {
    const { u } = uart();
    w(u, IER, 0x02);
    assert.equal(r(u, IIR), Iir.THR_EMPTY);
    assert.equal(r(u, IIR), Iir.NONE, 'reading IIR cleared it');
    w(u, 0, 0x42);
    assert.equal(r(u, IIR), Iir.THR_EMPTY, 'the written byte left at once: THR empty again');
    w(u, IER, 0x00);
    w(u, 0, 0x43);
    w(u, IER, 0x02);
    assert.equal(r(u, IIR), Iir.THR_EMPTY, 'the rising edge of IER bit 1 re-arms it (QEMU, Bochs)');
  });

  it('reports sources in priority order: line status > received data > THRE > modem status', () => {
    const { u } = uart();
    w(u, MCR, LOOP);
    r(u, MSR); // entering loopback changed every modem line: clear those deltas
    w(u, IER, 0x0f);
    w(u, MCR, LOOP | 0x02); // RTS -> CTS changes: a modem status event
    u.sendBreak(); // line status, and a NUL byte received
    assert.equal(r(u, IIR), Iir.LINE_STATUS);
    assert.equal(r(u, LSR) & 0x11, 0x11, 'BI and DR');
    assert.equal(r(u, IIR), Iir.RX_DATA, 'reading LSR cleared the line status');
    assert.equal(r(u, RBR), 0);
    assert.equal(r(u, IIR), Iir.THR_EMPTY);
    assert.equal(r(u, IIR), Iir.MODEM_STATUS);
    assert.equal(r(u, MSR), 0x11, 'CTS with its delta bit');
    assert.equal(r(u, IIR), Iir.NONE, 'reading MSR cleared the deltas');
  });

  it('maps the loopback modem lines as the datasheet wires them', () => {
    const { u } = uart();
    w(u, MCR, LOOP | 0x01); // DTR -> DSR
    assert.equal(r(u, MSR) & 0xf0, 0x20);
    w(u, MCR, LOOP | 0x02); // RTS -> CTS
    assert.equal(r(u, MSR) & 0xf0, 0x10);
    w(u, MCR, LOOP | 0x0c); // OUT1 -> RI, OUT2 -> DCD
    assert.equal(r(u, MSR) & 0xf0, 0xc0);
    w(u, MCR, LOOP);
    assert.equal(r(u, MSR) & 0x04, 0x04, 'TERI: RI went inactive');
    w(u, MCR, 0);
    assert.equal(r(u, MSR) & 0xf0, 0xb0, 'CTS, DSR and DCD asserted outside loopback');
  });

  it('reports a character timeout below the FIFO trigger level, data available at it', () => {
    const { u } = uart();
    w(u, FCR, 0xc7); // FIFOs on, clear, trigger 14
    w(u, IER, 0x01);
    u.receive(new Uint8Array(3));
    assert.equal(r(u, IIR), 0xc0 | Iir.CHAR_TIMEOUT);
    u.receive(new Uint8Array(11));
    assert.equal(r(u, IIR), 0xc0 | Iir.RX_DATA);
  });

  it('drives the IRQ line only while OUT2 is set and not in loopback', () => {
    const { u, irq } = uart();
    w(u, IER, 0x02);
    assert.equal(irq.level, false, 'OUT2 off gates the interrupt');
    w(u, MCR, OUT2);
    assert.equal(irq.level, true);
    w(u, MCR, OUT2 | LOOP);
    assert.equal(irq.level, false);
    w(u, MCR, OUT2);
    r(u, IIR);
    assert.equal(irq.level, false, 'THRE cleared by the IIR read');
    irq.edges.length = 0;
    w(u, 0, 0x44);
    assert.deepEqual(irq.edges, [true], 'the THR write is a new THRE event: a rising edge');
    irq.edges.length = 0;
    w(u, 0, 0x45);
    assert.deepEqual(irq.edges, [false, true], 'cleared by the write, raised again when the byte left');
  });

  it('raises received-data interrupts on input and drops them when the FIFO drains', () => {
    const { u, irq } = uart();
    w(u, MCR, OUT2);
    w(u, IER, 0x01);
    u.receive(Uint8Array.of(7));
    assert.equal(irq.level, true);
    r(u, RBR);
    assert.equal(irq.level, false);
  });
});
