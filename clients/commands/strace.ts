/**
 * `tsvmi strace`: the guest's system calls, per process — number, decoded
 * arguments, return value — from breakpoints on the kernel's system-call entry
 * and exit, stepped over by the SDK. Ctrl-C removes them and detaches.
 */
import { merge } from 'rxjs';
import { parseArgs } from 'node:util';
import { decodeSyscall, type SyscallRecord } from '../../src/introspect/operators/decode-syscall.js';
import { Breakpoints } from '../../src/introspect/breakpoints.js';
import type { Vmi } from '../../src/introspect/vmi.js';
import { failure, lossSignal, openTarget, profileOf, TARGET_OPTIONS, TARGET_USAGE, UsageError, untilDone, type Target } from './target.js';

export const STRACE_USAGE = `usage: tsvmi strace [target] [--pid N] [--json] [--resume]

Trace the guest's system calls, one line per call when it returns:
  [pid 2 bench] write(1, 0x402000, 12) = 12
(calls that never return, such as exit, when they are made). Breakpoints on
the kernel's system-call entry and exit do it; each hit is stepped over, so
the guest runs on unchanged. Ctrl-C removes them and detaches.

  --pid N      only this process
  --json       one JSON object per call
  --resume     resume the domain once tracing is set up (for a domain started
               with 'tsvmi run --paused')
  -h, --help

${TARGET_USAGE}`;

/** Who a page-table root belongs to, re-read when a process comes or goes (pids and roots are reused). */
class Owners {
  private byDtb = new Map<bigint, { pid: number; name: string }>();
  constructor(private readonly vmi: Vmi) {}
  async of(dtb: bigint): Promise<{ pid: number; name: string } | undefined> {
    if (!this.byDtb.has(dtb)) this.byDtb = new Map((await this.vmi.processes().catch(() => [])).map((p) => [p.dtb, { pid: p.pid, name: p.name }]));
    return this.byDtb.get(dtb);
  }
  forget(): void { this.byDtb.clear(); }
}

const hex = (v: bigint): string => (v < 10n ? v.toString() : `0x${v.toString(16)}`);

export async function straceCommand(args: string[]): Promise<number> {
  let target: Target | undefined;
  let bps: Breakpoints | undefined;
  try {
    const { values } = parseArgs({ args, options: { ...TARGET_OPTIONS, pid: { type: 'string' }, json: { type: 'boolean' }, resume: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) { console.log(STRACE_USAGE); return 0; }
    const only = values.pid === undefined ? undefined : Number(values.pid);
    if (only !== undefined && !Number.isInteger(only)) throw new UsageError('--pid must be a process id');
    const profile = profileOf(values, true)!;
    const { lost, onLost } = lossSignal();
    target = await openTarget(values, { profile, onLost });
    const vmi = target.vmi, owners = new Owners(vmi);
    bps = new Breakpoints(vmi);
    // Who made each call is read while its vCPU still waits at the entry breakpoint.
    const callers = new Map<bigint, Promise<{ pid: number; name: string } | undefined>>();
    const entry = await bps.insert(profile.syscallEntry, 'kernel', async (e) => { callers.set(e.seq, owners.of(e.regs.cr3)); await callers.get(e.seq); });
    const exit = await bps.insert(profile.syscallExit);
    let traced = 0;
    const print = async (r: SyscallRecord, seqOfCall: bigint): Promise<void> => {
      const who = await callers.get(seqOfCall);
      if (r.kind === 'return' || r.name === 'exit') callers.delete(seqOfCall);
      if (r.name === 'spawn' || r.name === 'exit') owners.forget(); // a process came or went
      if (only !== undefined && who?.pid !== only) return;
      traced++;
      const ret = r.kind === 'return' ? r.ret : undefined;
      if (values.json) {
        console.log(JSON.stringify({ pid: who?.pid ?? null, name: who?.name ?? null, vcpu: r.vcpu, syscall: r.name, nr: r.nr, args: r.args.map(hex), ...(ret !== undefined ? { ret: ret.toString() } : {}) }));
      } else {
        console.log(`[pid ${who?.pid ?? '?'} ${who?.name ?? '?'}] ${r.name}(${r.args.map(hex).join(', ')}) = ${ret === undefined ? '?' : ret.toString()}`);
      }
    };
    // A call is printed when it returns; one that never does (exit), when it is made.
    const done = merge(entry.hits$, exit.hits$).pipe(decodeSyscall({ entry: profile.syscallEntry, exit: profile.syscallExit, names: profile.syscalls })).subscribe((r) => {
      if (r.kind === 'return') void print(r, r.callSeq);
      else if (r.name === 'exit') void print(r, r.seq);
    });
    if (values.resume) await vmi.resume();
    const why = await untilDone(target, lost);
    done.unsubscribe();
    console.error(`tsvmi strace: ${traced} system calls traced; ${why === 'ended' ? 'the guest ended' : why === 'lost' ? 'the domain went away' : 'detached'}`);
    return 0;
  } catch (e) {
    return failure('strace', STRACE_USAGE, e);
  } finally {
    await bps?.removeAll().catch(() => {});
    await target?.close();
  }
}
