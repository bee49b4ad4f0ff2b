/**
 * The ACPI tables a guest needs to find its interrupt controllers and CPUs
 * (ACPI 6.5 chapter 5.2): RSDP, RSDT, XSDT and the MADT. The loader copies
 * `bytes` to `base` in guest memory, normally 0xE0000, where the RSDP is also
 * found by the BIOS-area scan for "RSD PTR " on a 16-byte boundary (§5.2.5.1),
 * and can pass `rsdpAddress` in the PVH start info.
 *
 * The MADT describes what QEMU's pc machine has: local APICs at 0xFEE00000,
 * PCAT_COMPAT (the 8259A pair is present), one I/O APIC with GSI base 0,
 * ISA IRQ0 (the PIT) overridden to GSI 2, and LINT1 as NMI on every processor.
 * There is no FADT or DSDT: Linux parses the MADT without them and then runs
 * with the ACPI interpreter off.
 */
import { APIC_DEFAULT_BASE } from './apic-regs.js';
import { DeviceConfigError } from './errors.js';
import { IOAPIC_DEFAULT_BASE } from './io-apic.js';

export const ACPI_DEFAULT_BASE = 0xe0000;

export interface AcpiOptions {
  cpus: number;
  /** Physical address the tables are placed at: 16-byte aligned, below 4 GiB. */
  base: number;
  /** APIC ID of each processor; default 0..cpus-1. */
  apicIds?: readonly number[];
  /** I/O APIC ID (must match the device's ID register); default 0, as QEMU. */
  ioApicId?: number;
}

export interface AcpiTables {
  bytes: Uint8Array;
  rsdpAddress: number;
}

const OEM_ID = 'TSVMI ';
const OEM_TABLE_ID = 'TSVMIPC ';
const CREATOR_ID = 'TSVM';
const HEADER_SIZE = 36;
const RSDP_SIZE = 36;

/** MADT interrupt controller structure types (§5.2.12, table 5.44). */
export const MadtType = { LOCAL_APIC: 0, IO_APIC: 1, INTERRUPT_SOURCE_OVERRIDE: 2, LOCAL_APIC_NMI: 4 } as const;
const MADT_PCAT_COMPAT = 1;
const LAPIC_ENABLED = 1;
/** ACPI processor UID 0xFF: every processor (§5.2.12.7). */
const ALL_PROCESSORS = 0xff;

/** Byte sum modulo 256 of `bytes[from, to)`; a table is valid when its sum is 0 (§5.2.5.3, §5.2.6). */
export function acpiChecksum(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum = (sum + bytes[i]!) & 0xff;
  return sum;
}

/** Little-endian appender for table bodies. */
class Writer {
  private readonly out: number[] = [];
  u8(v: number): this { this.out.push(v & 0xff); return this; }
  u16(v: number): this { return this.u8(v).u8(v >>> 8); }
  u32(v: number): this { return this.u16(v).u16(v >>> 16); }
  u64(v: number): this { return this.u32(v >>> 0).u32(Math.floor(v / 2 ** 32)); }
  str(s: string): this { for (const c of s) this.u8(c.charCodeAt(0)); return this; }
  bytes(): Uint8Array { return Uint8Array.from(this.out); }
}

/** A system description table: the 36-byte header of §5.2.6 around `body`, checksummed. */
function sdt(signature: string, revision: number, body: Uint8Array): Uint8Array {
  const head = new Writer().str(signature).u32(HEADER_SIZE + body.length).u8(revision).u8(0)
    .str(OEM_ID).str(OEM_TABLE_ID).u32(1).str(CREATOR_ID).u32(1).bytes();
  const t = new Uint8Array(HEADER_SIZE + body.length);
  t.set(head);
  t.set(body, HEADER_SIZE);
  t[9] = (256 - acpiChecksum(t)) & 0xff;
  return t;
}

function madt(apicIds: readonly number[], ioApicId: number): Uint8Array {
  const w = new Writer().u32(APIC_DEFAULT_BASE).u32(MADT_PCAT_COMPAT);
  // Processor Local APIC (§5.2.12.2): UID = CPU index.
  apicIds.forEach((id, uid) => w.u8(MadtType.LOCAL_APIC).u8(8).u8(uid).u8(id).u32(LAPIC_ENABLED));
  // I/O APIC (§5.2.12.3).
  w.u8(MadtType.IO_APIC).u8(12).u8(ioApicId).u8(0).u32(IOAPIC_DEFAULT_BASE).u32(0);
  // Interrupt Source Override (§5.2.12.5): ISA IRQ0 is wired to GSI 2, flags 0 = conforms to the bus.
  w.u8(MadtType.INTERRUPT_SOURCE_OVERRIDE).u8(10).u8(0).u8(0).u32(2).u16(0);
  // Local APIC NMI (§5.2.12.7): LINT1 of all processors, flags as the bus (edge, active high).
  w.u8(MadtType.LOCAL_APIC_NMI).u8(6).u8(ALL_PROCESSORS).u16(0).u8(1);
  // Revision 1: every structure used here exists since ACPI 1.0b.
  return sdt('APIC', 1, w.bytes());
}

/** RSDP (§5.2.5.3): checksum over the first 20 bytes, extended checksum over all 36. */
function rsdp(rsdtAddress: number, xsdtAddress: number): Uint8Array {
  const r = new Writer().str('RSD PTR ').u8(0).str(OEM_ID).u8(2).u32(rsdtAddress)
    .u32(RSDP_SIZE).u64(xsdtAddress).u8(0).u8(0).u8(0).u8(0).bytes();
  r[8] = (256 - acpiChecksum(r, 0, 20)) & 0xff;
  r[32] = (256 - acpiChecksum(r)) & 0xff;
  return r;
}

const align16 = (n: number): number => (n + 15) & ~15;

/** Build RSDP, RSDT, XSDT and MADT, laid out in that order from `opts.base`. */
export function buildAcpiTables(opts: AcpiOptions): AcpiTables {
  const { cpus, base } = opts;
  const apicIds = opts.apicIds ?? Array.from({ length: cpus }, (_, i) => i);
  if (!Number.isInteger(cpus) || cpus < 1 || apicIds.length !== cpus) throw new DeviceConfigError(`ACPI: need one APIC ID per CPU, got ${apicIds.length} for ${cpus}`);
  // Beyond 254, APIC IDs need x2APIC structures (type 9), which are not generated.
  if (apicIds.some((id) => !Number.isInteger(id) || id < 0 || id > 0xfe)) throw new DeviceConfigError('ACPI: APIC IDs must be 0-254');
  if (cpus > 255) throw new DeviceConfigError('ACPI: at most 255 processors');
  if (base % 16 !== 0 || base < 0 || base >= 2 ** 32) throw new DeviceConfigError(`ACPI: base 0x${base.toString(16)} must be 16-byte aligned below 4 GiB`);

  const madtTable = madt(apicIds, opts.ioApicId ?? 0);
  const rsdtAt = base + align16(RSDP_SIZE);
  const rsdtSize = HEADER_SIZE + 4;
  const xsdtAt = rsdtAt + align16(rsdtSize);
  const xsdtSize = HEADER_SIZE + 8;
  const madtAt = xsdtAt + align16(xsdtSize);
  if (madtAt + madtTable.length > 2 ** 32) throw new DeviceConfigError('ACPI: tables cross 4 GiB');

  const parts: Array<[number, Uint8Array]> = [
    [base, rsdp(rsdtAt, xsdtAt)],
    [rsdtAt, sdt('RSDT', 1, new Writer().u32(madtAt).bytes())],
    [xsdtAt, sdt('XSDT', 1, new Writer().u64(madtAt).bytes())],
    [madtAt, madtTable],
  ];
  const bytes = new Uint8Array(madtAt + madtTable.length - base);
  for (const [at, part] of parts) bytes.set(part, at - base);
  return { bytes, rsdpAddress: base };
}
