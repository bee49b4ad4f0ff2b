/** `tsvmi pause` and `tsvmi resume`: a served domain, or one of its vCPUs. */
import { parseArgs } from 'node:util';
import { failure, openTarget, TARGET_OPTIONS, TARGET_USAGE, UsageError, type Target } from './target.js';

const usage = (verb: 'pause' | 'resume'): string => `usage: tsvmi ${verb} --nats URL --domain NAME [--vcpu N]

${verb === 'pause' ? 'Pause the domain (or one vCPU) until a resume; pauses nest.' : 'Undo one pause of the domain (or of one vCPU).'}

  --vcpu N     only this vCPU
  -h, --help

${TARGET_USAGE}`;

export async function pauseCommand(verb: 'pause' | 'resume', args: string[]): Promise<number> {
  let target: Target | undefined;
  try {
    const { values } = parseArgs({ args, options: { ...TARGET_OPTIONS, vcpu: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) { console.log(usage(verb)); return 0; }
    if (values.nats === undefined) throw new UsageError(`${verb} acts on a served domain: give --nats URL --domain NAME`);
    const vcpu = values.vcpu === undefined ? undefined : Number(values.vcpu);
    if (vcpu !== undefined && (!Number.isInteger(vcpu) || vcpu < 0)) throw new UsageError('--vcpu must be a vCPU number');
    target = await openTarget(values, { role: 'observer' });
    await (verb === 'pause' ? target.vmi.pause(vcpu) : target.vmi.resume(vcpu));
    return 0;
  } catch (e) {
    return failure(verb, usage(verb), e);
  } finally {
    await target?.close();
  }
}
