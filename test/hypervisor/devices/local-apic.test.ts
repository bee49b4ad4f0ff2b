/**
 * Local APIC registers, priority and EOI, the software enable, IA32_APIC_BASE
 * and x2APIC MSRs, LINT0/LINT1, against SDM Vol. 3A chapter 10.
 */
import assert from 'node:assert/strict';
import { DeliveryMode, Shorthand, type ApicMessage } from '../../../src/hypervisor/devices/apic-message.js';
import { ApicReg } from '../../../src/hypervisor/devices/apic-regs.js';
import { ApicMsrError } from '../../../src/hypervisor/devices/errors.js';
import type { InterruptController } from '../../../src/hypervisor/devices/interrupts.js';
import { LocalApic } from '../../../src/hypervisor/devices/local-apic.js';
import { cpus } from './fakes.js';

const fixed = (vector: number, level = false): ApicMessage => ({
  vector, mode: DeliveryMode.FIXED, logical: false, assert: true, level, shorthand: Shorthand.NONE, dest: 0, x2apic: false,
});

function one(enable = true): { apic: LocalApic; signals: ReturnType<typeof cpus>['signals'][number] } {
  const c = cpus(1, { enable });
  return { apic: c.apics[0]!, signals: c.signals[0]! };
}
const rd = (a: LocalApic, off: number): number => a.mmioRead(off, 4);
const wr = (a: LocalApic, off: number, v: number): void => a.mmioWrite(off, 4, v);

/** Latch and read ESR (SDM §10.5.3: write before read). */
function esr(a: LocalApic): number {
  wr(a, ApicReg.ESR, 0);
  return rd(a, ApicReg.ESR);
}

describe('LocalApic registers', () => {
  it('has the power-up values of SDM §10.4.7.1 (BSP LINT0 as QEMU leaves it)', () => {
    const c = cpus(2, { enable: false });
    const [bsp, ap] = c.apics as [LocalApic, LocalApic];
    assert.equal(rd(ap, ApicReg.ID), 1 << 24);
    assert.equal(rd(bsp, ApicReg.VERSION), 0x00050014);
    assert.equal(rd(bsp, ApicReg.SVR), 0xff);
    assert.equal(rd(bsp, ApicReg.DFR), 0xffffffff);
    assert.equal(rd(ap, ApicReg.LVT_LINT0), 0x10000);
    assert.equal(rd(bsp, ApicReg.LVT_LINT0), 0x700);
    assert.equal(rd(bsp, ApicReg.LVT_TIMER), 0x10000);
    assert.equal(bsp.apicBaseMsr, 0xfee00900);
    assert.equal(ap.apicBaseMsr, 0xfee00800);
    assert.equal(bsp.mmioBase, 0xfee00000);
    assert.ok(bsp.mmioEnabled);
  });

  it('keeps read-only registers and masks writable bits', () => {
    const { apic } = one();
    wr(apic, ApicReg.ID, 0x05000000);
    wr(apic, ApicReg.VERSION, 0);
    assert.equal(rd(apic, ApicReg.ID), 0);
    assert.equal(rd(apic, ApicReg.VERSION), 0x00050014);
    wr(apic, ApicReg.TPR, 0x1ff);
    assert.equal(rd(apic, ApicReg.TPR), 0xff);
    wr(apic, ApicReg.LDR, 0x12345678);
    assert.equal(rd(apic, ApicReg.LDR), 0x12000000);
    wr(apic, ApicReg.DFR, 0);
    assert.equal(rd(apic, ApicReg.DFR), 0x0fffffff, 'DFR bits 27:0 read as ones');
    // Timer mode bit 18 (TSC-deadline) is reserved when CPUID does not report it.
    wr(apic, ApicReg.LVT_TIMER, 0x60030);
    assert.equal(rd(apic, ApicReg.LVT_TIMER), 0x20030);
    wr(apic, ApicReg.LVT_LINT0, 0xffffffff);
    assert.equal(rd(apic, ApicReg.LVT_LINT0), 0x1a7ff, 'delivery status and remote IRR are read-only');
    wr(apic, ApicReg.TIMER_DIVIDE, 0xff);
    assert.equal(rd(apic, ApicReg.TIMER_DIVIDE), 0xb);
  });

  it('reads bytes of a register and ignores narrow or misaligned writes', () => {
    const c = cpus(4);
    const a = c.apics[3]!;
    assert.equal(a.mmioRead(ApicReg.ID + 3, 1), 3);
    assert.equal(a.mmioRead(ApicReg.VERSION + 2, 2), 5);
    a.mmioWrite(ApicReg.TPR, 1, 0x30);
    a.mmioWrite(ApicReg.TPR + 4, 4, 0x30);
    assert.equal(rd(a, ApicReg.TPR), 0);
  });

  it('sets ESR "illegal register address" for reserved offsets (SDM §10.5.3)', () => {
    const { apic } = one();
    assert.equal(rd(apic, 0x040), 0);
    assert.equal(esr(apic), 0x80);
    assert.equal(esr(apic), 0, 'a second ESR write latches the (now empty) pending errors');
  });

  it('maps CR8 to TPR[7:4] (SDM §10.8.6.1)', () => {
    const { apic } = one();
    apic.cr8 = 0xa;
    assert.equal(rd(apic, ApicReg.TPR), 0xa0);
    wr(apic, ApicReg.TPR, 0x5f);
    assert.equal(apic.cr8, 5);
  });
});

describe('LocalApic priority and EOI (SDM §10.8)', () => {
  it('offers the highest IRR vector above PPR and moves it to ISR on acknowledge', () => {
    const { apic } = one();
    apic.accept(fixed(0x31));
    apic.accept(fixed(0x45));
    assert.equal(apic.pendingVector(), 0x45);
    apic.acknowledge(0x45);
    assert.ok(apic.isrBit(0x45) && !apic.irrBit(0x45));
    assert.equal(rd(apic, ApicReg.PPR), 0x40, 'PPR = ISRV class when above TPR');
    apic.accept(fixed(0x41));
    assert.equal(apic.pendingVector(), -1, 'same priority class as the one in service waits');
    apic.accept(fixed(0x52));
    assert.equal(apic.pendingVector(), 0x52, 'a higher class nests');
    apic.acknowledge(0x52);
    wr(apic, ApicReg.EOI, 0);
    assert.ok(!apic.isrBit(0x52) && apic.isrBit(0x45), 'EOI retires the highest ISR bit');
    assert.equal(apic.pendingVector(), -1);
    wr(apic, ApicReg.EOI, 0);
    assert.equal(apic.pendingVector(), 0x41);
  });

  it('computes PPR from TPR and ISRV (SDM §10.8.3.1)', () => {
    const { apic } = one();
    wr(apic, ApicReg.TPR, 0x47);
    assert.equal(rd(apic, ApicReg.PPR), 0x47, 'TPR class >= ISRV class: PPR = TPR');
    apic.accept(fixed(0x45));
    assert.equal(apic.pendingVector(), -1, 'class 4 is not above TPR class 4');
    apic.accept(fixed(0x50));
    assert.equal(apic.pendingVector(), 0x50);
    apic.acknowledge(0x50);
    assert.equal(rd(apic, ApicReg.PPR), 0x50, 'ISRV class above TPR class: PPR = ISRV[7:4] << 4');
  });

  it('kicks the vCPU when an interrupt becomes deliverable, including after a TPR drop', () => {
    const { apic, signals } = one();
    wr(apic, ApicReg.TPR, 0xf0);
    apic.accept(fixed(0x40));
    const kicks = signals.kicks;
    wr(apic, ApicReg.TPR, 0);
    assert.equal(signals.kicks, kicks + 1);
  });

  it('broadcasts EOI only for level-triggered vectors (TMR set, SDM §10.8.5)', () => {
    const { apic } = one();
    const eois: number[] = [];
    apic.onEoi = (v) => eois.push(v);
    apic.accept(fixed(0x60, true));
    apic.accept(fixed(0x70, false));
    assert.ok(apic.tmrBit(0x60) && !apic.tmrBit(0x70));
    apic.acknowledge(0x70); wr(apic, ApicReg.EOI, 0);
    apic.acknowledge(0x60); wr(apic, ApicReg.EOI, 0);
    assert.deepEqual(eois, [0x60]);
  });

  it('exposes IRR, ISR and TMR as eight 32-bit registers', () => {
    const { apic } = one();
    apic.accept(fixed(0x21, true));
    apic.accept(fixed(0xff));
    assert.equal(rd(apic, ApicReg.IRR + 0x10), 1 << 1);
    assert.equal(rd(apic, ApicReg.IRR + 0x70), 0x80000000);
    assert.equal(rd(apic, ApicReg.TMR + 0x10), 1 << 1);
    apic.acknowledge(0xff);
    assert.equal(rd(apic, ApicReg.ISR + 0x70), 0x80000000);
  });

  it('rejects vectors 0-15 and records it in ESR (SDM §10.5.2)', () => {
    const { apic } = one();
    apic.accept(fixed(5));
    assert.equal(apic.pendingVector(), -1);
    assert.equal(esr(apic), 0x40, 'received illegal vector');
    wr(apic, ApicReg.LVT_ERROR, 0xfe);
    wr(apic, ApicReg.ICR_LO, 0x00040003); // fixed vector 3 to self
    assert.equal(esr(apic), 0x20, 'send illegal vector');
    assert.equal(apic.pendingVector(), 0xfe, 'the LVT error interrupt fired');
  });
});

describe('LocalApic software enable (SDM §10.4.7.2)', () => {
  it('drops fixed interrupts while disabled but still takes NMI and INIT', () => {
    const { apic, signals } = one(false);
    apic.accept(fixed(0x40));
    assert.equal(apic.pendingVector(), -1);
    wr(apic, ApicReg.SVR, 0x1ff);
    assert.equal(apic.pendingVector(), -1, 'the interrupt was not accepted');
    wr(apic, ApicReg.SVR, 0xff);
    apic.accept({ ...fixed(0), mode: DeliveryMode.NMI });
    assert.deepEqual(signals.log, ['nmi']);
  });

  it('masks every LVT on disable and keeps them masked until re-enabled', () => {
    const { apic } = one();
    wr(apic, ApicReg.LVT_TIMER, 0x30);
    wr(apic, ApicReg.LVT_LINT1, 0x400);
    wr(apic, ApicReg.SVR, 0xff);
    assert.equal(rd(apic, ApicReg.LVT_TIMER), 0x10030);
    assert.equal(rd(apic, ApicReg.LVT_LINT1), 0x10400);
    wr(apic, ApicReg.LVT_TIMER, 0x31);
    assert.equal(rd(apic, ApicReg.LVT_TIMER), 0x10031, 'mask cannot be cleared while disabled');
    wr(apic, ApicReg.SVR, 0x1ff);
    wr(apic, ApicReg.LVT_TIMER, 0x31);
    assert.equal(rd(apic, ApicReg.LVT_TIMER), 0x31);
  });
});

describe('LocalApic LINT0 (ExtINT) and LINT1', () => {
  class FakePic implements InterruptController {
    vector = -1;
    acks: number[] = [];
    pendingVector(): number { return this.vector; }
    acknowledge(v: number): void { this.acks.push(v); this.vector = -1; }
  }

  it('takes the PIC vector first when LINT0 is unmasked ExtINT, and runs its INTA', () => {
    const c = cpus(1);
    const apic = c.apics[0]!, pic = new FakePic();
    apic.extInt = pic;
    apic.accept(fixed(0x80));
    pic.vector = 0x20;
    assert.equal(apic.pendingVector(), 0x20, 'ExtINT ignores priority');
    apic.acknowledge(0x20);
    assert.deepEqual(pic.acks, [0x20]);
    assert.ok(apic.irrBit(0x80), 'the fixed interrupt is untouched');
    assert.equal(apic.pendingVector(), 0x80);
  });

  it('ignores the PIC when LINT0 is masked, and passes it through when the APIC is globally disabled', () => {
    const c = cpus(1);
    const apic = c.apics[0]!, pic = new FakePic();
    apic.extInt = pic;
    pic.vector = 0x21;
    wr(apic, ApicReg.LVT_LINT0, 0x10700);
    assert.equal(apic.pendingVector(), -1);
    apic.apicBaseMsr = 0xfee00000;
    assert.ok(!apic.enabled);
    assert.equal(apic.pendingVector(), 0x21, 'INTR goes straight to the CPU (SDM §10.4.3)');
  });

  it('wakes the vCPU on lint(0) and delivers LINT1 as NMI', () => {
    const { apic, signals } = one();
    wr(apic, ApicReg.LVT_LINT1, 0x10400);
    apic.lint(1);
    assert.deepEqual(signals.log, [], 'masked');
    wr(apic, ApicReg.LVT_LINT1, 0x400);
    apic.lint(1);
    assert.deepEqual(signals.log, ['nmi']);
    const kicks = signals.kicks;
    wr(apic, ApicReg.LVT_LINT0, 0x700);
    apic.lint(0);
    assert.ok(signals.kicks > kicks);
  });
});

describe('LocalApic IA32_APIC_BASE and x2APIC MSRs (SDM §10.12)', () => {
  const X2 = 0xfee00000 + 0xc00;

  it('refuses x2APIC MSRs in xAPIC mode and illegal mode transitions', () => {
    const { apic } = one();
    assert.throws(() => apic.msrRead(0x802), ApicMsrError);
    assert.throws(() => { apic.apicBaseMsr = 0xfee00400; }, ApicMsrError, 'EXTD without EN is invalid');
    assert.throws(() => { apic.apicBaseMsr = 0xfee00801; }, ApicMsrError, 'reserved bit 0');
    assert.throws(() => { apic.apicBaseMsr = 2 ** 40 + 0xfee00800; }, ApicMsrError, 'above MAXPHYADDR');
    apic.apicBaseMsr = X2;
    assert.throws(() => { apic.apicBaseMsr = 0xfee00800; }, ApicMsrError, 'x2APIC to xAPIC');
    apic.apicBaseMsr = 0xfee00000;
    assert.throws(() => { apic.apicBaseMsr = X2; }, ApicMsrError, 'disabled to x2APIC');
    apic.apicBaseMsr = 0xfee00800;
    assert.ok(apic.mmioEnabled);
  });

  it('keeps BSP read-only, relocates the page, and resets the APIC when disabled', () => {
    const c = cpus(2);
    const bsp = c.apics[0]!, ap = c.apics[1]!;
    ap.apicBaseMsr = 0xfee00900;
    assert.equal(ap.apicBaseMsr, 0xfee00800);
    bsp.msrWrite(0x1b, 0xfed00800, 0);
    assert.deepEqual(bsp.msrRead(0x1b), [0xfed00900, 0]);
    assert.equal(bsp.mmioBase, 0xfed00000);
    wr(bsp, ApicReg.TPR, 0x20);
    bsp.apicBaseMsr = 0xfed00000;
    bsp.apicBaseMsr = 0xfed00800;
    assert.equal(rd(bsp, ApicReg.TPR), 0);
    assert.equal(rd(bsp, ApicReg.SVR), 0xff);
  });

  it('reads ID, version and the derived logical ID through MSRs', () => {
    const c = cpus(20);
    const a = c.apics[19]!;
    a.apicBaseMsr = X2;
    assert.ok(a.x2apicMode && !a.mmioEnabled);
    assert.deepEqual(a.msrRead(0x802), [19, 0]);
    assert.deepEqual(a.msrRead(0x803), [0x00050014, 0]);
    // Logical x2APIC ID = cluster (ID >> 4) << 16 | 1 << (ID & 0xf) (SDM §10.12.10.2).
    assert.deepEqual(a.msrRead(0x80d), [(1 << 16) | (1 << 3), 0]);
    assert.equal(a.mmioRead(ApicReg.ID, 4), 0, 'the MMIO page is off in x2APIC mode');
  });

  it('raises #GP for write-only, read-only, absent registers and reserved bits', () => {
    const { apic } = one();
    apic.apicBaseMsr = X2;
    for (const msr of [0x80b, 0x83f, 0x80e, 0x831, 0x82f, 0x809, 0x800]) {
      assert.throws(() => apic.msrRead(msr), ApicMsrError, `read 0x${msr.toString(16)}`);
    }
    for (const msr of [0x802, 0x803, 0x80a, 0x80d, 0x810, 0x820, 0x839, 0x80e, 0x831]) {
      assert.throws(() => apic.msrWrite(msr, 0, 0), ApicMsrError, `write 0x${msr.toString(16)}`);
    }
    assert.throws(() => apic.msrWrite(0x80b, 1, 0), ApicMsrError, 'EOI must be written with 0');
    assert.throws(() => apic.msrWrite(0x828, 1, 0), ApicMsrError, 'ESR must be written with 0');
    assert.throws(() => apic.msrWrite(0x808, 0, 1), ApicMsrError, 'bits 63:32 are reserved');
    assert.throws(() => apic.msrWrite(0x83f, 0x100, 0), ApicMsrError, 'SELF IPI takes a vector only');
    assert.throws(() => apic.msrRead(0x900), ApicMsrError);
  });

  it('takes a self IPI through MSR 0x83F and EOI through 0x80B', () => {
    const { apic } = one();
    apic.apicBaseMsr = X2;
    apic.msrWrite(0x83f, 0x55, 0);
    assert.equal(apic.pendingVector(), 0x55);
    apic.acknowledge(0x55);
    assert.deepEqual(apic.msrRead(0x812), [1 << (0x55 - 64), 0], 'ISR bits 95:64');
    apic.msrWrite(0x80b, 0, 0);
    assert.deepEqual(apic.msrRead(0x812), [0, 0]);
  });

  it('keeps the timer and LVT registers at the same index in both interfaces', () => {
    const { apic } = one();
    wr(apic, ApicReg.LVT_LINT1, 0x400);
    apic.apicBaseMsr = X2;
    assert.deepEqual(apic.msrRead(0x836), [0x400, 0]);
    apic.msrWrite(0x838, 1234, 0);
    assert.deepEqual(apic.msrRead(0x838), [1234, 0]);
  });
});
