/**
 * IPIs through the ICR (SDM Vol. 3A §10.6): delivery modes, shorthands,
 * physical and logical (flat, cluster, x2APIC cluster) destinations, broadcast.
 */
import assert from 'node:assert/strict';
import { ApicReg } from '../../../src/hypervisor/devices/apic-regs.js';
import type { LocalApic } from '../../../src/hypervisor/devices/local-apic.js';
import { cpus, type Cpus } from './fakes.js';

const wr = (a: LocalApic, off: number, v: number): void => a.mmioWrite(off, 4, v);

/** xAPIC IPI: ICR high (destination in bits 31:24) then ICR low, as drivers write them. */
function ipi(from: LocalApic, icrLow: number, dest = 0): void {
  wr(from, ApicReg.ICR_HI, dest << 24);
  wr(from, ApicReg.ICR_LO, icrLow);
}
const who = (c: Cpus, vector: number): number[] => c.apics.filter((a) => a.irrBit(vector)).map((a) => a.apicId);

const LOGICAL = 1 << 11;
const SELF = 1 << 18, ALL = 2 << 18, OTHERS = 3 << 18;
const NMI = 4 << 8, INIT = 5 << 8, STARTUP = 6 << 8, LOWEST = 1 << 8;
const ASSERT = 1 << 14, LEVEL = 1 << 15;

describe('IPI routing', () => {
  it('delivers a fixed IPI to a physical destination, and reads delivery status idle', () => {
    const c = cpus(4);
    ipi(c.apics[0]!, 0x40, 2);
    assert.deepEqual(who(c, 0x40), [2]);
    assert.equal(c.apics[0]!.mmioRead(ApicReg.ICR_LO, 4) & (1 << 12), 0);
    assert.equal(c.apics[0]!.mmioRead(ApicReg.ICR_HI, 4), 2 << 24);
  });

  it('broadcasts to physical destination 0xFF (SDM §10.6.2.1)', () => {
    const c = cpus(4);
    ipi(c.apics[1]!, 0x41, 0xff);
    assert.deepEqual(who(c, 0x41), [0, 1, 2, 3]);
  });

  it('honours the shorthands self, all including self, all excluding self', () => {
    const c = cpus(4);
    ipi(c.apics[2]!, 0x42 | SELF, 0);
    assert.deepEqual(who(c, 0x42), [2]);
    ipi(c.apics[2]!, 0x43 | ALL, 0);
    assert.deepEqual(who(c, 0x43), [0, 1, 2, 3]);
    ipi(c.apics[2]!, 0x44 | OTHERS, 0);
    assert.deepEqual(who(c, 0x44), [0, 1, 3]);
  });

  it('matches logical destinations in the flat model (LDR & MDA != 0, SDM §10.6.2.2)', () => {
    const c = cpus(4);
    c.apics.forEach((a, i) => wr(a, ApicReg.LDR, (1 << i) << 24));
    ipi(c.apics[0]!, 0x50 | LOGICAL, 0x05);
    assert.deepEqual(who(c, 0x50), [0, 2]);
    ipi(c.apics[0]!, 0x51 | LOGICAL, 0xff);
    assert.deepEqual(who(c, 0x51), [0, 1, 2, 3]);
  });

  it('matches logical destinations in the cluster model (cluster nibble, member bits)', () => {
    const c = cpus(4);
    const ldrs = [0x11, 0x12, 0x21, 0x22];
    c.apics.forEach((a, i) => { wr(a, ApicReg.DFR, 0x0fffffff); wr(a, ApicReg.LDR, ldrs[i]! << 24); });
    ipi(c.apics[0]!, 0x52 | LOGICAL, 0x13);
    assert.deepEqual(who(c, 0x52), [0, 1]);
    ipi(c.apics[0]!, 0x53 | LOGICAL, 0x22);
    assert.deepEqual(who(c, 0x53), [3]);
    ipi(c.apics[0]!, 0x54 | LOGICAL, 0xf1);
    assert.deepEqual(who(c, 0x54), [0, 2], 'cluster 15 addresses all clusters');
  });

  it('sends lowest-priority IPIs to one target only, the lowest-numbered', () => {
    const c = cpus(4);
    c.apics.forEach((a) => wr(a, ApicReg.LDR, 0x0f << 24));
    ipi(c.apics[3]!, 0x55 | LOWEST | LOGICAL, 0x0f);
    assert.deepEqual(who(c, 0x55), [0]);
  });

  it('signals NMI, INIT and start-up, and ignores INIT level de-assert', () => {
    const c = cpus(3);
    ipi(c.apics[0]!, NMI | ASSERT, 1);
    ipi(c.apics[0]!, INIT | ASSERT | LEVEL | OTHERS);
    ipi(c.apics[0]!, INIT | LEVEL | OTHERS); // de-assert
    ipi(c.apics[0]!, STARTUP | ASSERT | 0x9a, 2);
    assert.deepEqual(c.signals[0]!.log, []);
    assert.deepEqual(c.signals[1]!.log, ['nmi', 'init']);
    assert.deepEqual(c.signals[2]!.log, ['init', 'sipi:9a']);
  });

  it('resets the target APIC on INIT, keeping its ID', () => {
    const c = cpus(2);
    wr(c.apics[1]!, ApicReg.TPR, 0x30);
    ipi(c.apics[0]!, INIT | ASSERT, 1);
    assert.equal(c.apics[1]!.mmioRead(ApicReg.TPR, 4), 0);
    assert.equal(c.apics[1]!.mmioRead(ApicReg.SVR, 4), 0xff);
    assert.equal(c.apics[1]!.mmioRead(ApicReg.ID, 4), 1 << 24);
  });

  it('skips globally disabled APICs', () => {
    const c = cpus(3);
    c.apics[1]!.apicBaseMsr = 0xfee00000;
    ipi(c.apics[0]!, 0x60 | ALL);
    assert.deepEqual(who(c, 0x60), [0, 2]);
  });

  it('routes x2APIC physical and cluster-logical destinations from the 64-bit ICR (SDM §10.12.9-10)', () => {
    const c = cpus(18);
    for (const a of c.apics) a.apicBaseMsr = 0xfee00c00;
    const from = c.apics[0]!;
    from.msrWrite(0x830, 0x70, 17);
    assert.deepEqual(who(c, 0x70), [17]);
    // Cluster 0, members 0 and 2; cluster 1 member 1 (APIC ID 17).
    from.msrWrite(0x830, 0x71 | LOGICAL, 0x00000005);
    assert.deepEqual(who(c, 0x71), [0, 2]);
    from.msrWrite(0x830, 0x72 | LOGICAL, 0x00010002);
    assert.deepEqual(who(c, 0x72), [17]);
    from.msrWrite(0x830, 0x73, 0xffffffff);
    assert.equal(who(c, 0x73).length, 18, 'x2APIC broadcast');
    assert.deepEqual(from.msrRead(0x830), [0x73, 0xffffffff]);
  });
});
