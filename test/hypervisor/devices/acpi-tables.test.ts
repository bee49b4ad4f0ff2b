/**
 * ACPI tables checked the way a guest reads them (ACPI 6.5 §5.2): find the
 * RSDP, verify both checksums, follow RSDT and XSDT, verify each table's
 * checksum, and walk the MADT's interrupt controller structures.
 */
import assert from 'node:assert/strict';
import { ACPI_DEFAULT_BASE, MadtType, acpiChecksum, buildAcpiTables } from '../../../src/hypervisor/devices/acpi-tables.js';
import { DeviceConfigError } from '../../../src/hypervisor/devices/errors.js';

/** A tiny guest-side parser over the table blob placed at `base`. */
class Tables {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array, readonly base: number) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  str(pa: number, n: number): string { return String.fromCharCode(...this.bytes.subarray(pa - this.base, pa - this.base + n)); }
  u8(pa: number): number { return this.view.getUint8(pa - this.base); }
  u16(pa: number): number { return this.view.getUint16(pa - this.base, true); }
  u32(pa: number): number { return this.view.getUint32(pa - this.base, true); }
  u64(pa: number): number { return this.u32(pa) + this.u32(pa + 4) * 2 ** 32; }
  /** The BIOS-area scan: "RSD PTR " on a 16-byte boundary (§5.2.5.1). */
  findRsdp(): number {
    for (let pa = this.base; pa < this.base + this.bytes.length; pa += 16) if (this.str(pa, 8) === 'RSD PTR ') return pa;
    throw new Error('no RSDP');
  }
  /** A table by address: signature, and checksum over its length (§5.2.6). */
  table(pa: number): { sig: string; length: number; revision: number; sum: number } {
    const length = this.u32(pa + 4);
    return { sig: this.str(pa, 4), length, revision: this.u8(pa + 8), sum: acpiChecksum(this.bytes, pa - this.base, pa - this.base + length) };
  }
}

interface MadtEntry { type: number; bytes: number[] }

function madtEntries(t: Tables, pa: number): { lapicAddress: number; flags: number; entries: MadtEntry[] } {
  const end = pa + t.u32(pa + 4);
  const entries: MadtEntry[] = [];
  for (let at = pa + 44; at < end;) {
    const len = t.u8(at + 1);
    assert.ok(len >= 2 && at + len <= end, 'entry length stays inside the table');
    entries.push({ type: t.u8(at), bytes: Array.from(t.bytes.subarray(at - t.base, at - t.base + len)) });
    at += len;
  }
  return { lapicAddress: t.u32(pa + 36), flags: t.u32(pa + 40), entries };
}

describe('ACPI tables', () => {
  const { bytes, rsdpAddress } = buildAcpiTables({ cpus: 4, base: ACPI_DEFAULT_BASE });
  const t = new Tables(bytes, ACPI_DEFAULT_BASE);

  it('places an ACPI 2.0 RSDP where the BIOS-area scan finds it, with both checksums (§5.2.5.3)', () => {
    assert.equal(rsdpAddress, 0xe0000);
    assert.equal(t.findRsdp(), rsdpAddress);
    assert.equal(acpiChecksum(bytes, 0, 20), 0, 'checksum over the ACPI 1.0 part');
    assert.equal(t.u8(rsdpAddress + 15), 2, 'revision 2: XSDT present');
    assert.equal(t.u32(rsdpAddress + 20), 36, 'length');
    assert.equal(acpiChecksum(bytes, 0, 36), 0, 'extended checksum');
    assert.equal(t.str(rsdpAddress + 9, 6), 'TSVMI ');
  });

  it('points RSDT (32-bit) and XSDT (64-bit) at the same MADT, all checksummed', () => {
    const rsdt = t.u32(rsdpAddress + 16), xsdt = t.u64(rsdpAddress + 24);
    assert.deepEqual(t.table(rsdt), { sig: 'RSDT', length: 40, revision: 1, sum: 0 });
    assert.deepEqual(t.table(xsdt), { sig: 'XSDT', length: 44, revision: 1, sum: 0 });
    const madt = t.u32(rsdt + 36);
    assert.equal(t.u64(xsdt + 36), madt);
    const m = t.table(madt);
    assert.equal(m.sig, 'APIC');
    assert.equal(m.sum, 0);
    assert.equal(madt + m.length - ACPI_DEFAULT_BASE, bytes.length, 'nothing after the MADT');
  });

  it('describes the local APICs, the I/O APIC, the IRQ0 override and LINT1 NMI (§5.2.12)', () => {
    const madt = t.u32(t.u32(rsdpAddress + 16) + 36);
    const { lapicAddress, flags, entries } = madtEntries(t, madt);
    assert.equal(lapicAddress, 0xfee00000);
    assert.equal(flags, 1, 'PCAT_COMPAT: the 8259A pair is present');
    const lapics = entries.filter((e) => e.type === MadtType.LOCAL_APIC);
    // Processor Local APIC: type, length 8, UID, APIC ID, flags (bit 0 enabled).
    assert.deepEqual(lapics.map((e) => e.bytes), [0, 1, 2, 3].map((i) => [0, 8, i, i, 1, 0, 0, 0]));
    // I/O APIC: type 1, length 12, ID 0, reserved, address 0xFEC00000, GSI base 0.
    assert.deepEqual(entries.filter((e) => e.type === MadtType.IO_APIC).map((e) => e.bytes), [[1, 12, 0, 0, 0x00, 0x00, 0xc0, 0xfe, 0, 0, 0, 0]]);
    // Interrupt Source Override: bus 0 (ISA), IRQ 0 -> GSI 2, flags 0 (conforms to the bus).
    assert.deepEqual(entries.filter((e) => e.type === MadtType.INTERRUPT_SOURCE_OVERRIDE).map((e) => e.bytes), [[2, 10, 0, 0, 2, 0, 0, 0, 0, 0]]);
    // Local APIC NMI: all processors (0xFF), flags 0, LINT1.
    assert.deepEqual(entries.filter((e) => e.type === MadtType.LOCAL_APIC_NMI).map((e) => e.bytes), [[4, 6, 0xff, 0, 0, 1]]);
  });

  it('takes explicit APIC IDs and I/O APIC ID, and validates options', () => {
    const { bytes: b } = buildAcpiTables({ cpus: 2, base: 0x1000, apicIds: [0, 2], ioApicId: 5 });
    const tt = new Tables(b, 0x1000);
    const { entries } = madtEntries(tt, tt.u32(tt.u32(0x1000 + 16) + 36));
    assert.deepEqual(entries.filter((e) => e.type === 0).map((e) => e.bytes[3]), [0, 2]);
    assert.equal(entries.find((e) => e.type === 1)!.bytes[2], 5);
    assert.throws(() => buildAcpiTables({ cpus: 1, base: 0xe0008 }), DeviceConfigError);
    assert.throws(() => buildAcpiTables({ cpus: 2, base: 0xe0000, apicIds: [0] }), DeviceConfigError);
    assert.throws(() => buildAcpiTables({ cpus: 0, base: 0xe0000 }), DeviceConfigError);
  });
});
