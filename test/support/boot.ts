/** Boot a guest image on tsvmi in-process and collect its serial console. */
import { readFileSync } from 'node:fs';
import { Domain, type RunOutcome } from '../../src/hypervisor/vm/domain.js';

export interface TsvmiRun { serial: string; outcome: RunOutcome; domain: Domain }

export async function bootTsvmi(kernel: string, opts: { vcpus?: number; memMiB?: number; maxInstructions?: number; vendor?: 'intel' | 'amd' } = {}): Promise<TsvmiRun> {
  const bytes: number[] = [];
  const domain = new Domain({ vcpus: opts.vcpus ?? 1, memMiB: opts.memMiB ?? 64, vendor: opts.vendor ?? 'intel', serialOut: (b) => bytes.push(b) });
  domain.load(readFileSync(kernel));
  const outcome = await domain.run(opts.maxInstructions ?? 2_000_000_000);
  return { serial: Buffer.from(bytes).toString('latin1'), outcome, domain };
}
