/**
 * fw_cfg through the I/O ports a guest uses (QEMU docs/specs/fw_cfg.rst):
 * 16-bit selector writes to 0x510, byte reads from 0x511 with auto-increment.
 */
import assert from 'node:assert/strict';
import { PortBus } from '../../../src/hypervisor/devices/bus.js';
import { DeviceConfigError } from '../../../src/hypervisor/devices/errors.js';
import { FW_CFG_PORT, FW_CFG_PORT_COUNT, FwCfg, FwCfgKey, TSVMI_VERSION_FILE } from '../../../src/hypervisor/devices/fw-cfg.js';

function rig(fw = new FwCfg({ cpus: 3, maxCpus: 8, ramSize: 0x1_4000_0000, version: 'tsvmi 0.1.0' })) {
  const bus = new PortBus();
  bus.attach(FW_CFG_PORT, FW_CFG_PORT_COUNT, fw);
  const read = (key: number, n: number): number[] => {
    bus.portOut(0x510, 2, key);
    return Array.from({ length: n }, () => bus.portIn(0x511, 1));
  };
  return { bus, read };
}
const le = (bytes: number[]): number => bytes.reduceRight((acc, b) => acc * 256 + b, 0);
const be = (bytes: number[]): number => bytes.reduce((acc, b) => acc * 256 + b, 0);

describe('FwCfg', () => {
  it('answers the signature "QEMU" byte by byte, then zeros past the end', () => {
    const { read } = rig();
    assert.equal(String.fromCharCode(...read(FwCfgKey.SIGNATURE, 4)), 'QEMU');
    assert.deepEqual(read(FwCfgKey.SIGNATURE, 6).slice(4), [0, 0]);
  });

  it('reports the traditional interface only (FW_CFG_ID bit 0, no DMA)', () => {
    assert.equal(le(rig().read(FwCfgKey.ID, 4)), 1);
  });

  it('reports CPU counts as 16-bit and RAM size as 64-bit little-endian', () => {
    const { read } = rig();
    assert.equal(le(read(FwCfgKey.NB_CPUS, 2)), 3);
    assert.equal(le(read(FwCfgKey.MAX_CPUS, 2)), 8);
    assert.equal(le(read(FwCfgKey.RAM_SIZE, 8)), 0x1_4000_0000);
  });

  it('restarts at offset 0 on every selector write, and ignores the write bit 14', () => {
    const { bus, read } = rig();
    read(FwCfgKey.SIGNATURE, 2);
    assert.equal(String.fromCharCode(...read(FwCfgKey.SIGNATURE | 0x4000, 4)), 'QEMU');
    bus.portOut(0x511, 1, 0x55); // data writes are ignored
    assert.equal(le(read(FwCfgKey.NB_CPUS, 2)), 3);
  });

  it('reads unknown keys as zeros', () => {
    assert.deepEqual(rig().read(0x1234, 3), [0, 0, 0]);
  });

  it('lists files in a big-endian directory sorted by name, each readable by its key', () => {
    const fw = new FwCfg({ cpus: 1, ramSize: 1 << 26, files: [{ name: 'opt/a', data: Uint8Array.of(9, 8) }] });
    const { read } = rig(fw);
    const count = be(read(FwCfgKey.FILE_DIR, 4));
    assert.equal(count, 2);
    const dir = read(FwCfgKey.FILE_DIR, 4 + 64 * count).slice(4);
    const entries = Array.from({ length: count }, (_, i) => {
      const e = dir.slice(i * 64, i * 64 + 64);
      const name = String.fromCharCode(...e.slice(8, 8 + e.slice(8).indexOf(0)));
      return { size: be(e.slice(0, 4)), key: be(e.slice(4, 6)), name };
    });
    assert.deepEqual(entries.map((e) => e.name), ['etc/tsvmi/version', 'opt/a']);
    const version = entries.find((e) => e.name === TSVMI_VERSION_FILE)!;
    assert.equal(version.key, 0x20);
    assert.equal(String.fromCharCode(...read(version.key, version.size)), 'tsvmi');
    const a = entries[1]!;
    assert.deepEqual(read(a.key, a.size), [9, 8]);
  });

  it('refuses impossible options', () => {
    assert.throws(() => new FwCfg({ cpus: 0, ramSize: 0 }), DeviceConfigError);
    assert.throws(() => new FwCfg({ cpus: 4, maxCpus: 2, ramSize: 0 }), DeviceConfigError);
    assert.throws(() => new FwCfg({ cpus: 1, ramSize: 0, files: [{ name: 'x'.repeat(56), data: new Uint8Array() }] }), DeviceConfigError);
  });
});
