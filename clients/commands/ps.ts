/** `tsvmi ps`: the guest's processes, read from its task list. */
import { parseArgs } from 'node:util';
import { failure, openTarget, profileOf, TARGET_OPTIONS, TARGET_USAGE, UsageError, type Target } from './target.js';

export const PS_USAGE = `usage: tsvmi ps [target] [--after N] [--json]

List the guest's processes (pid, name, state, page-table root) by walking the
kernel's task list, the domain paused meanwhile.

  --after N    embedded: run the guest N retired instructions first
               (default 10000000)
  --json       print a JSON array
  -h, --help

${TARGET_USAGE}`;

export async function psCommand(args: string[]): Promise<number> {
  let target: Target | undefined;
  try {
    const { values } = parseArgs({ args, options: { ...TARGET_OPTIONS, after: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) { console.log(PS_USAGE); return 0; }
    const after = Number(values.after ?? 10_000_000);
    if (!(after >= 0)) throw new UsageError('--after must be a number of instructions');
    target = await openTarget(values, { role: 'observer', profile: profileOf(values, true)! });
    const { vmi, domain } = target;
    if (domain) await domain.run(after);
    else await vmi.pause();
    const ps = await vmi.processes().finally(() => (domain ? undefined : vmi.resume()));
    if (values.json) {
      console.log(JSON.stringify(ps.map((p) => ({ pid: p.pid, name: p.name, state: p.state, dtb: `0x${p.dtb.toString(16)}`, syscalls: p.syscalls }))));
    } else {
      console.log('  PID  STATE     DTB        SYSCALLS  NAME');
      for (const p of ps) console.log(`${String(p.pid).padStart(5)}  ${p.state.padEnd(8)}  0x${p.dtb.toString(16).padEnd(8)} ${String(p.syscalls).padStart(8)}  ${p.name}`);
    }
    return 0;
  } catch (e) {
    return failure('ps', PS_USAGE, e);
  } finally {
    await target?.close();
  }
}
