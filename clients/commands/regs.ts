/** `tsvmi regs`: one vCPU's registers. */
import { parseArgs } from 'node:util';
import { Registers } from '../../src/generated/tsvmi/v1/registers.js';
import { failure, openTarget, TARGET_OPTIONS, TARGET_USAGE, UsageError, type Target } from './target.js';

export const REGS_USAGE = `usage: tsvmi regs [target] [--vcpu N] [--after N] [--json]

Print a vCPU's registers: general, RIP, RFLAGS, control, debug, EFER,
segments and descriptor tables.

  --vcpu N     which vCPU (default 0)
  --after N    embedded: run the guest N retired instructions first (default 10000000)
  --json       print them as JSON (the tsvmi.v1.Registers message)
  -h, --help

${TARGET_USAGE}`;

const GENERAL = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip', 'rflags',
  'cr0', 'cr2', 'cr3', 'cr4', 'dr0', 'dr1', 'dr2', 'dr3', 'dr6', 'dr7', 'efer', 'fsBase', 'gsBase', 'kernelGsBase'] as const;

export async function regsCommand(args: string[]): Promise<number> {
  let target: Target | undefined;
  try {
    const { values } = parseArgs({ args, options: { ...TARGET_OPTIONS, vcpu: { type: 'string' }, after: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) { console.log(REGS_USAGE); return 0; }
    const vcpu = Number(values.vcpu ?? 0);
    if (!Number.isInteger(vcpu) || vcpu < 0) throw new UsageError('--vcpu must be a vCPU number');
    target = await openTarget(values, { role: 'observer' });
    if (target.domain) await target.domain.run(Number(values.after ?? 10_000_000));
    const r = await target.vmi.getRegisters(vcpu);
    if (values.json) { console.log(JSON.stringify(Registers.toJSON(r))); return 0; }
    for (const name of GENERAL) console.log(`${name.padEnd(13)}0x${r[name].toString(16).padStart(16, '0')}`);
    for (const seg of ['cs', 'ss', 'ds', 'es', 'fs', 'gs'] as const) {
      const s = r[seg]!;
      console.log(`${seg.padEnd(13)}sel 0x${s.selector.toString(16).padStart(4, '0')} base 0x${s.base.toString(16)} limit 0x${s.limit.toString(16)} attr 0x${s.attributes.toString(16)}`);
    }
    console.log(`${'gdtr'.padEnd(13)}0x${r.gdtr!.base.toString(16)}/0x${r.gdtr!.limit.toString(16)}`);
    console.log(`${'idtr'.padEnd(13)}0x${r.idtr!.base.toString(16)}/0x${r.idtr!.limit.toString(16)}`);
    return 0;
  } catch (e) {
    return failure('regs', REGS_USAGE, e);
  } finally {
    await target?.close();
  }
}
