/**
 * The demo OS (guests/os) boots to its processes on tsvmi and under QEMU, and
 * each transcript passes the OS's own checker: boot lines in order, every
 * process's lines exactly as expected (interleaving between processes may
 * differ), the debugee's int3/TF/DR0 reports at its own addresses, and a clean
 * shutdown through isa-debug-exit.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { bootTsvmi } from '../../support/boot.js';
import { checkOs as checkTranscript, OS } from '../../support/demo-os.js';
import { runQemu } from '../../support/qemu.js';

const KERNEL = join(OS, 'kernel.elf');

describe('demo OS', () => {
  for (const vcpus of [1, 2, 4]) {
    it(`boots on tsvmi with ${vcpus} vCPU(s), runs every process and shuts down cleanly`, async () => {
      const { serial, outcome } = await bootTsvmi(KERNEL, { vcpus });
      assert.deepEqual(outcome.kind === 'exit' ? outcome.status : outcome, 1);
      checkTranscript(serial, vcpus);
    });
  }

  it('boots under QEMU TCG with the same checker (the image is the same)', () => {
    const { serial, status } = runQemu(KERNEL, { smp: 2 });
    assert.equal(status, 1, serial);
    checkTranscript(serial, 2);
  });

  it('is deterministic on tsvmi: the same boot twice gives the same bytes and instruction count', async () => {
    const a = await bootTsvmi(KERNEL, { vcpus: 2 }), b = await bootTsvmi(KERNEL, { vcpus: 2 });
    assert.equal(a.serial, b.serial);
    assert.equal(a.outcome.instructions, b.outcome.instructions);
  });
});
