/** The `g`/`G`/`p`/`P` register block: every register at its target-description offset, little-endian. */
import assert from 'node:assert/strict';
import { Registers } from '../../src/generated/tsvmi/v1/registers.js';
import { changes, gBlock, registerBytes, registerUpdate, RegisterWriteError } from '../../src/gdbsx/registers.js';
import { registerByName } from '../../src/gdbsx/target-description.js';

const regs = Registers.fromPartial({
  rax: 0x1122334455667788n, rsp: 0xffffffff80136000n, r15: 15n, rip: 0xffffffff80104f83n, rflags: 0x246n,
  cr0: 0x80050033n, cr3: 0x13a000n, efer: 0xd01n, fsBase: 0x7000n, kernelGsBase: 0xffffffff80127540n,
  cs: { selector: 0x10, base: 0n, limit: 0, attributes: 0 }, ss: { selector: 0x18, base: 0n, limit: 0, attributes: 0 },
});

const at = (name: string, n: number): bigint => {
  const r = registerByName.get(name)!, b = gBlock(regs);
  let v = 0n;
  for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[r.offset + k]!);
  return v;
};

describe('gdbsx register block', () => {
  it('puts each register at its offset, little-endian, with x87/SSE in their reset state', () => {
    assert.equal(at('rax', 8), 0x1122334455667788n);
    assert.equal(at('rsp', 8), 0xffffffff80136000n);
    assert.equal(at('rip', 8), 0xffffffff80104f83n);
    assert.equal(at('eflags', 4), 0x246n);
    assert.equal(at('cs', 4), 0x10n);
    assert.equal(at('ss', 4), 0x18n);
    assert.equal(at('cr3', 8), 0x13a000n);
    assert.equal(at('efer', 8), 0xd01n);
    assert.equal(at('k_gs_base', 8), 0xffffffff80127540n);
    assert.equal(at('fctrl', 4), 0x37fn);
    assert.equal(at('mxcsr', 4), 0x1f80n);
    assert.equal(at('st0', 10), 0n);
    assert.deepEqual([...registerBytes(regs, registerByName.get('r15')!.regnum)!], [15, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(registerBytes(regs, 999), undefined);
  });

  it('turns P and G writes into register updates, refusing what cannot be written', () => {
    assert.deepEqual(registerUpdate(registerByName.get('rip')!.regnum, Uint8Array.of(1, 2, 3, 4, 0, 0, 0, 0)), { rip: 0x04030201n });
    assert.throws(() => registerUpdate(registerByName.get('xmm0')!.regnum, new Uint8Array(16)), RegisterWriteError);
    assert.throws(() => registerUpdate(registerByName.get('rip')!.regnum, new Uint8Array(4)), /8 bytes/);
    const block = gBlock(regs);
    block[registerByName.get('rbx')!.offset] = 7;
    block[registerByName.get('cr3')!.offset + 1] = 0xb0; // 0x13a000 -> 0x13b000
    assert.deepEqual(changes(regs, block), { rbx: 7n, cr3: 0x13b000n });
    assert.deepEqual(changes(regs, gBlock(regs)), {}, 'an unchanged block writes nothing');
  });
});
