/**
 * Resume packets as a plan: for each vCPU, continue (`c`), one step (`s`), or
 * stay stopped (absent from the plan).
 *
 * vCont (gdb manual, "Packets": vCont): each action applies to the thread it
 * names, or, without a thread, to every thread; for each thread the leftmost
 * matching action wins. So gdb's step-over `vCont;s:2` steps that vCPU alone,
 * and `vCont;s:2;c` steps it while the others continue. `C` and `S` carry a
 * signal, which means nothing to a vCPU (QEMU ignores it too): they act as `c`
 * and `s`. The legacy `c` continues everything; the legacy `s` steps the
 * thread `Hc` selected, alone.
 */
export type Action = 'c' | 's';
export type Plan = ReadonlyMap<number, Action>;

export class ResumeError extends Error {
  override readonly name: string = 'ResumeError';
}

/** What `vCont?` answers: the actions above. */
export const VCONT_ACTIONS = 'vCont;c;C;s;S';

/** The plan of a `c`, `s` or `vCont;…` packet; `stepThread` is the Hc vCPU. */
export function parseResume(packet: string, vcpus: number, stepThread: number): Plan {
  if (packet === 'c') return new Map(Array.from({ length: vcpus }, (_, v) => [v, 'c']));
  if (packet === 's') return new Map([[stepThread, 's']]);
  if (!packet.startsWith('vCont;')) throw new ResumeError(`not a resume packet: ${packet}`);
  const plan = new Map<number, Action>();
  for (const item of packet.slice('vCont;'.length).split(';')) {
    const [verb, thread] = item.split(':');
    const action = ACTION[verb?.[0] ?? ''];
    // C and S are followed by the signal number (two hex digits); c and s by nothing.
    if (!action || verb!.length !== (verb === verb!.toLowerCase() ? 1 : 3)) throw new ResumeError(`unsupported vCont action '${item}'`);
    for (const v of threads(thread, vcpus)) if (!plan.has(v)) plan.set(v, action);
  }
  if (plan.size === 0) throw new ResumeError(`vCont resumes no thread: ${packet}`);
  return plan;
}

const ACTION: Readonly<Record<string, Action>> = { c: 'c', C: 'c', s: 's', S: 's' };

/** The vCPUs a vCont thread-id names: all for none or -1, else tid - 1. */
function threads(thread: string | undefined, vcpus: number): number[] {
  if (thread === undefined || thread === '-1') return Array.from({ length: vcpus }, (_, v) => v);
  const v = /^[0-9a-f]+$/i.test(thread) ? Number.parseInt(thread, 16) - 1 : -1;
  if (v < 0 || v >= vcpus) throw new ResumeError(`no thread ${thread}`);
  return [v];
}
