/**
 * The gcc corpus: each C program, built at -O0, -O2 and -Os as a Linux program
 * (the reference output) and as a freestanding image, must print exactly the
 * same bytes on tsvmi's serial port and exit through isa-debug-exit with 0.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Domain } from '../../../src/hypervisor/vm/domain.js';
import { CORPUS_DIR, OPT_LEVELS, corpusPrograms } from '../../support/corpus.js';

/** The benchmark workload is sized for timing, not for the test suite. */
const SKIP = new Set(['mix']);

describe('gcc corpus on tsvmi', () => {
  for (const name of corpusPrograms().filter((n) => !SKIP.has(n))) {
    for (const opt of OPT_LEVELS) {
      it(`${name} -${opt} prints what the Linux build printed`, async () => {
        const out: number[] = [];
        const vm = new Domain({ serialOut: (b: number) => out.push(b) });
        vm.load(readFileSync(join(CORPUS_DIR, `${name}-${opt}.elf`)));
        const outcome = await vm.run(2_000_000_000);
        const expected = readFileSync(join(CORPUS_DIR, `${name}-${opt}.expected`), 'latin1');
        assert.equal(Buffer.from(out).toString('latin1'), expected);
        assert.deepEqual(outcome.kind === 'exit' ? outcome.status : outcome, 1, 'main returned 0: isa-debug-exit status (0 << 1) | 1');
      });
    }
  }
});
