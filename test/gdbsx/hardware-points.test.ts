/** gdb's Z1-Z4 points as DR0-DR3 and DR7 (SDM Vol. 3B §17.2.4-17.2.5). */
import assert from 'node:assert/strict';
import { cover, HardwarePoints, PointType } from '../../src/gdbsx/hardware-points.js';

describe('gdbsx hardware points', () => {
  it('covers a range with naturally aligned pieces of 8, 4, 2 and 1 bytes', () => {
    assert.deepEqual(cover(0x1000n, 8), [{ addr: 0x1000n, length: 8 }]);
    assert.deepEqual(cover(0x1003n, 6), [{ addr: 0x1003n, length: 1 }, { addr: 0x1004n, length: 4 }, { addr: 0x1008n, length: 1 }]);
  });

  it('encodes enable, R/W and LEN fields per register (LEN 10 = 8 bytes, 11 = 4 bytes)', () => {
    const hw = new HardwarePoints();
    assert.ok(hw.insert({ type: PointType.HARDWARE, addr: 0xffffffff80100000n, length: 1 }));
    assert.ok(hw.insert({ type: PointType.WRITE, addr: 0x2000n, length: 8 }));
    assert.ok(hw.insert({ type: PointType.ACCESS, addr: 0x3000n, length: 4 }));
    const r = hw.registers();
    assert.equal(r.dr0, 0xffffffff80100000n);
    assert.equal(r.dr1, 0x2000n);
    assert.equal(r.dr2, 0x3000n);
    // L0 L1 L2; DR0 exec (RW 00, LEN 00); DR1 write (RW 01) LEN 10; DR2 read/write (RW 11) LEN 11.
    assert.equal(r.dr7, 0b010101n | (0b1001n << 20n) | (0b1111n << 24n));
  });

  it('names the point a #DB reports, is idempotent, and runs out after four registers', () => {
    const hw = new HardwarePoints();
    const watch = { type: PointType.WRITE, addr: 0x1003n, length: 2 } as const; // two pieces
    assert.ok(hw.insert(watch));
    assert.ok(hw.insert({ ...watch }), 'inserting it again changes nothing');
    assert.equal(hw.hit(0b10)?.addr, 0x1003n);
    assert.equal(hw.hit(0b100), undefined);
    assert.ok(hw.insert({ type: PointType.HARDWARE, addr: 0x10n, length: 1 }));
    assert.ok(!hw.insert({ type: PointType.READ, addr: 0x21n, length: 2 }), 'needs two registers, one is left');
    hw.remove({ ...watch });
    assert.ok(!hw.has(watch) && hw.registers().dr7 === 0b01n << 4n, 'DR2 still armed');
    hw.clear();
    assert.ok(hw.empty);
  });
});
