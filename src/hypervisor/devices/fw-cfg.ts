/**
 * QEMU's firmware configuration device, traditional I/O-port interface only
 * (QEMU docs/specs/fw_cfg.rst): a 16-bit selector at port 0x510 picks an item,
 * and each 1-byte read of the data port 0x511 returns the item's next byte;
 * past the end reads return 0. The feature bitmap (FW_CFG_ID) has only bit 0
 * set, so guests never look for the DMA interface at 0x514.
 *
 * Numeric items are little-endian (QEMU's fw_cfg_add_i16/i32/i64); the file
 * directory is big-endian, as the spec says. Writes to the data port are
 * ignored, as in QEMU since v2.4.
 */
import type { BusDevice } from './bus.js';
import { DeviceConfigError } from './errors.js';

export const FW_CFG_PORT = 0x510;
/** Selector and data ports (the DMA address port 0x514 is not implemented). */
export const FW_CFG_PORT_COUNT = 2;

/** Selector keys (QEMU include/standard-headers/linux/qemu_fw_cfg.h). */
export const FwCfgKey = {
  SIGNATURE: 0x0000,
  ID: 0x0001,
  RAM_SIZE: 0x0003,
  NB_CPUS: 0x0005,
  MAX_CPUS: 0x000f,
  FILE_DIR: 0x0019,
  FILE_FIRST: 0x0020,
} as const;

/** Bit 14 of the selector asks for write access; the item is the same (fw_cfg.rst, "Selector Register"). */
const SELECTOR_WRITE = 0x4000;
/** FW_CFG_ID bit 0: traditional interface. */
const FEATURE_TRADITIONAL = 1;
/** FWCfgFile.name is a NUL-terminated 56-byte field. */
const FILE_NAME_MAX = 55;
const FILE_ENTRY_SIZE = 64;
/** The version file tsvmi always publishes, so a guest can tell it runs on tsvmi. */
export const TSVMI_VERSION_FILE = 'etc/tsvmi/version';

export interface FwCfgOptions {
  cpus: number;
  /** FW_CFG_MAX_CPUS (hot-plug limit); defaults to `cpus`. */
  maxCpus?: number;
  /** Guest RAM in bytes (FW_CFG_RAM_SIZE). */
  ramSize: number;
  /** Content of etc/tsvmi/version; default "tsvmi". */
  version?: string;
  /** Further named files ("opt/…" names are the user namespace per fw_cfg.rst). */
  files?: ReadonlyArray<{ name: string; data: Uint8Array }>;
}

const le = (bytes: number, value: number): Uint8Array => {
  const out = new Uint8Array(bytes);
  for (let i = 0, v = value; i < bytes; i++, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
};

export class FwCfg implements BusDevice {
  readonly name = 'fw_cfg';
  private readonly items = new Map<number, Uint8Array>();
  private readonly files = new Map<string, Uint8Array>();
  private selected: Uint8Array = new Uint8Array(0);
  private offset = 0;

  constructor(opts: FwCfgOptions) {
    const maxCpus = opts.maxCpus ?? opts.cpus;
    if (!Number.isInteger(opts.cpus) || opts.cpus < 1 || maxCpus < opts.cpus || maxCpus > 0xffff) {
      throw new DeviceConfigError(`fw_cfg: bad CPU counts ${opts.cpus}/${maxCpus}`);
    }
    this.items.set(FwCfgKey.SIGNATURE, new TextEncoder().encode('QEMU'));
    this.items.set(FwCfgKey.ID, le(4, FEATURE_TRADITIONAL));
    this.items.set(FwCfgKey.RAM_SIZE, le(8, opts.ramSize));
    this.items.set(FwCfgKey.NB_CPUS, le(2, opts.cpus));
    this.items.set(FwCfgKey.MAX_CPUS, le(2, maxCpus));
    this.addFile(TSVMI_VERSION_FILE, new TextEncoder().encode(opts.version ?? 'tsvmi'));
    for (const f of opts.files ?? []) this.addFile(f.name, f.data);
  }

  /**
   * Add a named item. Keys are assigned from FW_CFG_FILE_FIRST in name order,
   * and the directory is sorted by name, as QEMU does, so keys depend only on names.
   */
  addFile(name: string, data: Uint8Array): void {
    if (name.length === 0 || name.length > FILE_NAME_MAX || !/^[\x20-\x7e]+$/.test(name)) {
      throw new DeviceConfigError(`fw_cfg: file name ${JSON.stringify(name)} must be 1-${FILE_NAME_MAX} printable ASCII characters`);
    }
    if (this.files.has(name)) throw new DeviceConfigError(`fw_cfg: file ${name} exists`);
    this.files.set(name, data.slice());
    this.rebuildDirectory();
  }

  private rebuildDirectory(): void {
    const names = [...this.files.keys()].sort();
    const dir = new Uint8Array(4 + FILE_ENTRY_SIZE * names.length);
    const view = new DataView(dir.buffer);
    view.setUint32(0, names.length); // big-endian count
    names.forEach((name, i) => {
      const data = this.files.get(name)!;
      const key = FwCfgKey.FILE_FIRST + i;
      const at = 4 + i * FILE_ENTRY_SIZE;
      view.setUint32(at, data.length);
      view.setUint16(at + 4, key);
      for (let c = 0; c < name.length; c++) dir[at + 8 + c] = name.charCodeAt(c);
      this.items.set(key, data);
    });
    this.items.set(FwCfgKey.FILE_DIR, dir);
  }

  /** Select an item; the data offset returns to 0. Unknown keys read as zeros. */
  select(key: number): void {
    this.selected = this.items.get(key & ~SELECTOR_WRITE & 0xffff) ?? new Uint8Array(0);
    this.offset = 0;
  }

  /**
   * QEMU decodes the two ports by access width (hw/nvram/fw_cfg.c, fw_cfg_comb_*):
   * a 16-bit write selects, a byte read returns data. Other widths float.
   */
  portRead(_offset: number, size: number): number {
    if (size !== 1) return size === 2 ? 0xffff : -1;
    return this.offset < this.selected.length ? this.selected[this.offset++]! : 0;
  }

  portWrite(_offset: number, size: number, value: number): void {
    if (size === 2) this.select(value);
  }
}
