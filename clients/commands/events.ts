/**
 * `tsvmi events`: the xen-access analogue. Enables the reasons asked for,
 * prints one line (or JSON object) per event, and lets each happen as if
 * unmonitored (reinject; mem-access events emulated). Ctrl-C, --count or the
 * domain's end stops it; the reasons and page permissions it set are undone.
 */
import { parseArgs } from 'node:util';
import type { ReasonName, VmiEvent } from '../../src/introspect/event.js';
import { failure, lossSignal, openTarget, TARGET_OPTIONS, TARGET_USAGE, UsageError, untilDone, type Target } from './target.js';

/** The command line's names for reasons, as xen-access names its modes. */
export const REASONS: Readonly<Record<string, ReasonName>> = {
  breakpoint: 'softwareBreakpoint', singlestep: 'singleStep', debug: 'debugException', cpuid: 'cpuid', cr: 'writeCtrlreg', msr: 'movToMsr',
  io: 'ioInstruction', mem: 'memAccess', interrupt: 'interrupt', descriptor: 'descriptorAccess', 'guest-request': 'guestRequest',
};

export const EVENTS_USAGE = `usage: tsvmi events --reason R[,R...] [target] [--async] [--count N] [--json]
                    [--watch-gfn GFN:ACCESS ...]

Print the domain's events, one line each, like xen-access. Reasons:
  ${Object.keys(REASONS).join(', ')}
Sync events (the default) are answered 'reinject' (mem-access: emulated);
with --async the vCPUs never wait. 'singlestep' steps every vCPU.

  --reason R          reasons to enable (comma-separated or repeated)
  --async             copies only: nothing waits for this tool
  --count N           stop after N events
  --watch-gfn G:A     for 'mem': allow only access A (subset of rwx, or -) on
                      guest frame G (hex), e.g. 127:rx traps writes; repeatable
  --json              one JSON object per event
  -h, --help

${TARGET_USAGE}`;

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** The reason-specific part of an event's line. */
function details(e: VmiEvent): string {
  switch (e.reason) {
    case 'softwareBreakpoint': return `gla=${hex(e.data.gla)} len=${e.data.instructionLength}`;
    case 'debugException': return `pending_dbg=${hex(e.data.pendingDbg)} len=${e.data.instructionLength}`;
    case 'cpuid': return `leaf=${hex(BigInt(e.data.leaf))} subleaf=${hex(BigInt(e.data.subleaf))}`;
    case 'writeCtrlreg': return `cr${e.data.index} old=${hex(e.data.oldValue)} new=${hex(e.data.newValue)}`;
    case 'movToMsr': return `msr=${hex(BigInt(e.data.index))} old=${hex(e.data.oldValue)} new=${hex(e.data.newValue)}`;
    case 'ioInstruction': return `port=${hex(BigInt(e.data.port))} size=${e.data.size} ${e.data.in ? 'in' : 'out'}${e.data.string ? ' string' : ''}${e.data.rep ? ' rep' : ''}`;
    case 'memAccess': return `gfn=${hex(e.data.gfn)} offset=${hex(e.data.offset)}${e.data.gla !== undefined ? ` gla=${hex(e.data.gla)}` : ''} ${e.data.read ? 'r' : '-'}${e.data.write ? 'w' : '-'}${e.data.execute ? 'x' : '-'}`;
    case 'interrupt': return `vector=${e.data.vector} type=${e.data.type}${e.data.errorCode !== undefined ? ` error=${hex(BigInt(e.data.errorCode))}` : ''}`;
    default: return '';
  }
}

export async function eventsCommand(args: string[]): Promise<number> {
  let target: Target | undefined;
  const undo: Array<() => Promise<void>> = [];
  try {
    const { values } = parseArgs({
      args, options: {
        ...TARGET_OPTIONS, reason: { type: 'string', multiple: true }, async: { type: 'boolean' }, count: { type: 'string' }, 'watch-gfn': { type: 'string', multiple: true },
        json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) { console.log(EVENTS_USAGE); return 0; }
    const names = (values.reason ?? []).flatMap((r) => r.split(',')).filter(Boolean);
    if (names.length === 0) throw new UsageError('say which events: --reason R');
    const reasons = names.map((n) => REASONS[n] ?? (() => { throw new UsageError(`unknown reason '${n}'`); })());
    const count = values.count === undefined ? Infinity : Number(values.count);
    if (!(count > 0)) throw new UsageError('--count must be a positive number');
    const watches = (values['watch-gfn'] ?? []).map((w) => {
      const m = /^(?:0x)?([0-9a-f]+):([rwx]*|-)$/i.exec(w);
      if (!m) throw new UsageError(`--watch-gfn takes GFN:ACCESS (e.g. 127:rx), not '${w}'`);
      return { gfn: BigInt(`0x${m[1]}`), read: m[2]!.includes('r'), write: m[2]!.includes('w'), execute: m[2]!.includes('x') };
    });
    if (watches.length > 0 && !reasons.includes('memAccess')) throw new UsageError("--watch-gfn needs --reason mem");

    const { lost, onLost } = lossSignal();
    target = await openTarget(values, { role: values.async ? 'observer' : 'controller', onLost });
    const vmi = target.vmi;
    let seen = 0, finish!: () => void;
    const enough = new Promise<void>((resolve) => { finish = resolve; });
    const sub = vmi.on(...reasons).subscribe((e) => {
      // Past --count, events are still let through (a sync one waits for its answer), unprinted.
      if (e.sync) void e.reinject(e.reason === 'memAccess' ? { emulate: true } : {}).catch(() => {});
      if (seen >= count) return;
      seen++;
      if (values.json) console.log(JSON.stringify({ seq: e.seq.toString(), vcpu: e.vcpu, reason: e.reason, sync: e.sync, rip: hex(e.regs.rip), details: details(e) }));
      else console.log(`seq=${e.seq} vcpu=${e.vcpu} ${e.reason} rip=${hex(e.regs.rip)} ${details(e)}`.trimEnd());
      if (seen >= count) finish();
    });
    await vmi.monitor(Object.fromEntries(reasons.map((r) => [r, { sync: !values.async }])));
    undo.push(() => vmi.monitor(Object.fromEntries(reasons.map((r) => [r, null]))));
    if (watches.length > 0) {
      await vmi.setPageAccess(watches);
      undo.push(() => vmi.setPageAccess(watches.map((w) => ({ gfn: w.gfn, read: true, write: true, execute: true }))));
    }
    if (reasons.includes('singleStep')) {
      for (let v = 0; v < vmi.info.vcpus; v++) await vmi.setSingleStep(v, true);
      undo.push(async () => { for (let v = 0; v < vmi.info.vcpus; v++) await vmi.setSingleStep(v, false); });
    }
    const why = await Promise.race([untilDone(target, lost), enough.then(() => 'count' as const)]);
    sub.unsubscribe();
    console.error(`tsvmi events: ${seen} events; ${why === 'ended' ? 'the guest ended' : why === 'lost' ? 'the domain went away' : why === 'count' ? `--count ${count} reached` : 'detached'}`);
    return 0;
  } catch (e) {
    return failure('events', EVENTS_USAGE, e);
  } finally {
    for (const u of undo.reverse()) await u().catch(() => {});
    await target?.close();
  }
}
