/**
 * System calls from events at the kernel's SYSCALL entry and exit, like
 * strace over VMI: breakpoints (or any event) at `syscall_entry` become call
 * records, those at `syscall_exit` return records paired with their call.
 */
import { defer, filter, map, type OperatorFunction } from 'rxjs';
import type { VmiEvent } from '../event.js';

/** Where a guest kernel's system calls enter and leave, and their names. */
export interface SyscallTable {
  /** Linear address of the SYSCALL target (MSR_LSTAR), its first instruction. */
  entry: bigint;
  /** Linear address where the user registers are restored and RAX is the result, before SYSRETQ. */
  exit: bigint;
  /** System-call names by number. */
  names: ReadonlyMap<number, string>;
}

/** The part of a guest's offsets.json (guests/build/os/offsets.json) that `syscallTable` reads. */
export interface SyscallOffsets {
  /** Symbol name -> linear address as a hex string ("0xffffffff80104f83"). */
  symbols: Readonly<Record<string, string>>;
  /** System-call name -> number. */
  syscalls: Readonly<Record<string, number>>;
  /** Which symbol is the entry / exit; offsets.json names them, defaulting to these names. */
  syscall_entry?: string;
  syscall_exit?: string;
}

interface SyscallFields {
  /** The vCPU the event was raised on (a return's may differ from its call's: see decodeSyscall). */
  readonly vcpu: number;
  /** CR3 at the event: the calling process's page-table root. */
  readonly dtb: bigint;
  /** RAX at entry as a number; exact below 2^53 (the kernel answers anything past its table with -ENOSYS). */
  readonly nr: number;
  /** From the table, or `sys_<nr>` for a number it does not know. */
  readonly name: string;
  /** RDI, RSI, RDX at entry: the first three arguments. */
  readonly args: readonly [bigint, bigint, bigint];
  /** The seq of the event this record was made from. */
  readonly seq: bigint;
}

export interface SyscallCall extends SyscallFields {
  readonly kind: 'call';
}

export interface SyscallReturn extends SyscallFields {
  readonly kind: 'return';
  /** RAX at exit as a signed 64-bit value, so errors read as -errno. */
  readonly ret: bigint;
  /** The seq of the call this returns from (what was learnt at the call is keyed by it). */
  readonly callSeq: bigint;
}

export type SyscallRecord = SyscallCall | SyscallReturn;

/** The demo OS's non-returning call: its entry is never followed by an exit, so it is not kept pending. */
const NO_RETURN = 'exit';

const HEX = /^0x[0-9a-f]+$/i;

/** A SyscallTable from a parsed offsets.json. Throws if the entry or exit symbol is missing or not hex. */
export function syscallTable(offsets: SyscallOffsets): SyscallTable {
  const address = (name: string): bigint => {
    const hex = offsets.symbols[name];
    // BigInt('') is 0n, so a malformed value must be caught before it becomes a valid-looking address.
    if (hex === undefined || !HEX.test(hex)) throw new Error(`syscallTable: symbol ${name} is ${hex === undefined ? 'missing' : `not a hex address: ${hex}`}`);
    return BigInt(hex);
  };
  const names = new Map<number, string>();
  for (const [name, nr] of Object.entries(offsets.syscalls)) names.set(nr, name);
  return {
    entry: address(offsets.syscall_entry ?? 'syscall_entry'),
    exit: address(offsets.syscall_exit ?? 'syscall_exit'),
    names,
  };
}

/**
 * Decode events whose RIP is `table.entry` or `table.exit` (any reason,
 * typically softwareBreakpoint; filter reasons first if one instruction can
 * raise several events) into system-call records; other events are ignored.
 *
 * At entry: a `call` record (RAX = number; RDI, RSI, RDX = arguments).
 * At exit: a `return` record with the call's number, name and arguments and
 * RAX as `ret`. An exit is paired with the pending call of the same CR3, not
 * the same (vCPU, CR3): a process has one address space and runs on one vCPU
 * at a time, so it has at most one call in progress, but a call that blocks
 * (yield, sleep, wait) can be resumed on another vCPU from the demo OS's
 * global run queue and return there. The return's `vcpu` is where it returned.
 *
 * An exit with no pending call emits nothing: the trace started while that
 * call was in progress, so its number and arguments were never seen.
 *
 * State lives per subscription (created in `defer`), so subscribing twice to
 * a cold source decodes each run on its own.
 */
export function decodeSyscall(table: SyscallTable): OperatorFunction<VmiEvent, SyscallRecord> {
  const { entry, exit, names } = table;
  return (source) =>
    defer(() => {
      const pending = new Map<bigint, SyscallCall>();
      return source.pipe(
        map((e): SyscallRecord | undefined => {
          const r = e.regs;
          if (r.rip === entry) {
            const nr = Number(r.rax);
            const call: SyscallCall = {
              kind: 'call', vcpu: e.vcpu, dtb: r.cr3, nr, name: names.get(nr) ?? `sys_${r.rax}`,
              args: [r.rdi, r.rsi, r.rdx], seq: e.seq,
            };
            // A new call supersedes whatever was pending for this process (a lost exit);
            // a call that never returns must not linger until its CR3 is reused.
            if (call.name === NO_RETURN) pending.delete(call.dtb);
            else pending.set(call.dtb, call);
            return call;
          }
          if (r.rip === exit) {
            const call = pending.get(r.cr3);
            if (call === undefined) return undefined;
            pending.delete(r.cr3);
            return {
              kind: 'return', vcpu: e.vcpu, dtb: r.cr3, nr: call.nr, name: call.name,
              args: call.args, ret: BigInt.asIntN(64, r.rax), seq: e.seq, callSeq: call.seq,
            };
          }
          return undefined;
        }),
        filter((rec): rec is SyscallRecord => rec !== undefined),
      );
    });
}
