/**
 * The target description gdbsx gives gdb (`qXfer:features:read:target.xml`)
 * and the register layout of the `g`/`G` packets that follows from it.
 *
 * Architecture i386:x86-64 whatever mode the guest is in, so the `g` layout
 * stays 64-bit (gdb would otherwise switch layouts mid-session). Features:
 * gdb's own core (GPRs, RIP, EFLAGS, segment selectors, x87), sse (XMM,
 * MXCSR — gdb requires it for amd64) and segments (FS/GS base), plus a system
 * feature of tsvmi's for the registers a kernel debugger wants (KERNEL_GS_BASE,
 * CR0/2/3/4/8, EFER). No linux feature: its `orig_rax` makes gdb treat the
 * target as a Linux process and fiddle with system-call restarts.
 *
 * Register numbers are assigned by gdb in document order, and the `g` packet
 * carries them in that order, each little-endian at its natural size.
 */

export interface RegisterSpec {
  name: string;
  bitsize: number;
  type: string;
  /** gdb's number for it (document order) and its byte offset in the `g` packet. */
  regnum: number;
  offset: number;
}

const FEATURES: ReadonlyArray<{ name: string; regs: ReadonlyArray<[name: string, bitsize: number, type: string]> }> = [
  {
    name: 'org.gnu.gdb.i386.core',
    regs: [
      ...['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi'].map((r) => [r, 64, 'int64'] as [string, number, string]),
      ['rbp', 64, 'data_ptr'], ['rsp', 64, 'data_ptr'],
      ...Array.from({ length: 8 }, (_, k) => [`r${k + 8}`, 64, 'int64'] as [string, number, string]),
      ['rip', 64, 'code_ptr'], ['eflags', 32, 'i386_eflags'],
      ...['cs', 'ss', 'ds', 'es', 'fs', 'gs'].map((r) => [r, 32, 'int32'] as [string, number, string]),
      ...Array.from({ length: 8 }, (_, k) => [`st${k}`, 80, 'i387_ext'] as [string, number, string]),
      ...['fctrl', 'fstat', 'ftag', 'fiseg', 'fioff', 'foseg', 'fooff', 'fop'].map((r) => [r, 32, 'int'] as [string, number, string]),
    ],
  },
  {
    name: 'org.gnu.gdb.i386.sse',
    regs: [...Array.from({ length: 16 }, (_, k) => [`xmm${k}`, 128, 'vec128'] as [string, number, string]), ['mxcsr', 32, 'i386_mxcsr']],
  },
  { name: 'org.gnu.gdb.i386.segments', regs: [['fs_base', 64, 'int'], ['gs_base', 64, 'int']] },
  {
    name: 'org.tsvmi.x86-64.system',
    regs: [['k_gs_base', 64, 'int'], ['cr0', 64, 'int'], ['cr2', 64, 'int'], ['cr3', 64, 'int'], ['cr4', 64, 'int'], ['cr8', 64, 'int'], ['efer', 64, 'int']],
  },
];

/** The types gdb's own amd64 descriptions define, per feature (a feature sees only its own and the predefined ones). */
const CORE_TYPES = `
  <flags id="i386_eflags" size="4">
    <field name="CF" start="0" end="0"/><field name="" start="1" end="1"/><field name="PF" start="2" end="2"/>
    <field name="AF" start="4" end="4"/><field name="ZF" start="6" end="6"/><field name="SF" start="7" end="7"/>
    <field name="TF" start="8" end="8"/><field name="IF" start="9" end="9"/><field name="DF" start="10" end="10"/>
    <field name="OF" start="11" end="11"/><field name="NT" start="14" end="14"/><field name="RF" start="16" end="16"/>
    <field name="VM" start="17" end="17"/><field name="AC" start="18" end="18"/><field name="VIF" start="19" end="19"/>
    <field name="VIP" start="20" end="20"/><field name="ID" start="21" end="21"/>
  </flags>`;

const SSE_TYPES = `
  <vector id="v4f" type="ieee_single" count="4"/>
  <vector id="v2d" type="ieee_double" count="2"/>
  <vector id="v16i8" type="int8" count="16"/>
  <vector id="v8i16" type="int16" count="8"/>
  <vector id="v4i32" type="int32" count="4"/>
  <vector id="v2i64" type="int64" count="2"/>
  <union id="vec128">
    <field name="v4_float" type="v4f"/><field name="v2_double" type="v2d"/><field name="v16_int8" type="v16i8"/>
    <field name="v8_int16" type="v8i16"/><field name="v4_int32" type="v4i32"/><field name="v2_int64" type="v2i64"/>
    <field name="uint128" type="uint128"/>
  </union>
  <flags id="i386_mxcsr" size="4">
    <field name="IE" start="0" end="0"/><field name="DE" start="1" end="1"/><field name="ZE" start="2" end="2"/>
    <field name="OE" start="3" end="3"/><field name="UE" start="4" end="4"/><field name="PE" start="5" end="5"/>
    <field name="DAZ" start="6" end="6"/><field name="IM" start="7" end="7"/><field name="DM" start="8" end="8"/>
    <field name="ZM" start="9" end="9"/><field name="OM" start="10" end="10"/><field name="UM" start="11" end="11"/>
    <field name="PM" start="12" end="12"/><field name="FZ" start="15" end="15"/>
  </flags>`;

/** Every register in gdb's numbering, with its place in the `g` packet. */
export const REGISTERS: readonly RegisterSpec[] = (() => {
  const out: RegisterSpec[] = [];
  let offset = 0;
  for (const f of FEATURES) {
    for (const [name, bitsize, type] of f.regs) {
      out.push({ name, bitsize, type, regnum: out.length, offset });
      offset += bitsize / 8;
    }
  }
  return out;
})();

/** Bytes in a `g` packet's register block (twice as many hex digits on the wire). */
export const G_PACKET_BYTES = REGISTERS.reduce((n, r) => n + r.bitsize / 8, 0);

export const registerByName: ReadonlyMap<string, RegisterSpec> = new Map(REGISTERS.map((r) => [r.name, r]));

/** target.xml, one document with every feature (gdb also accepts xi:include; one file is simpler to serve). */
export function targetXml(): string {
  const features = FEATURES.map((f, k) => {
    const regs = f.regs.map(([name, bitsize, type]) => `    <reg name="${name}" bitsize="${bitsize}" type="${type}"/>`).join('\n');
    return `  <feature name="${f.name}">${k === 0 ? CORE_TYPES : k === 1 ? SSE_TYPES : ''}\n${regs}\n  </feature>`;
  });
  return `<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n<target version="1.0">\n  <architecture>i386:x86-64</architecture>\n${features.join('\n')}\n</target>\n`;
}
