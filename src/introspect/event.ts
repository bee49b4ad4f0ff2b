/**
 * What an SDK stream carries: a monitor event (the wire's tsvmi.v1.MonitorEvent,
 * decoded) with its reply helpers, as libvmi hands a callback its
 * `vmi_event_t` and takes the response flags back.
 */
import { EventFlag, type MonitorEvent } from '../generated/tsvmi/v1/event.js';
import type { PageAccess } from '../generated/tsvmi/v1/common.js';
import type { RegisterUpdate, Registers } from '../generated/tsvmi/v1/registers.js';

/** Event reasons by their wire name (the MonitorEvent `reason` oneof's `$case`). */
export type ReasonName = NonNullable<MonitorEvent['reason']>['$case'];

/** The data of one reason, e.g. `ReasonData<'memAccess'>` is the MemoryAccess message. */
export type ReasonData<R extends ReasonName> = Extract<NonNullable<MonitorEvent['reason']>, { $case: R }>['value'];

/** What a reply may add to its action (Xen's response flags). */
export interface ReplyFlags {
  /** Keep the vCPU paused after the reply, until `resume`. */
  pause?: boolean;
  /** Flip single-stepping for this vCPU. */
  toggleSingleStep?: boolean;
  /** Registers to write before the vCPU resumes; only those given. */
  setRegisters?: Partial<RegisterUpdate>;
  /** For a mem-access event: run the instruction once past the page permissions. */
  emulate?: boolean;
  /** Frame permissions for this vCPU's next instruction only. */
  stepPermissions?: PageAccess[];
}

/**
 * An event of reason R; `VmiEvent` alone is the union over all reasons, discriminated by
 * `reason`, so `if (e.reason === 'memAccess')` narrows `e.data` to the MemoryAccess message.
 */
export type VmiEvent<R extends ReasonName = ReasonName> = R extends ReasonName ? VmiEventOf<R> : never;

export interface VmiEventOf<R extends ReasonName> {
  readonly domain: string;
  readonly vcpu: number;
  /** Per-domain sequence number; replies name it. */
  readonly seq: bigint;
  readonly reason: R;
  /** The reason's data (e.g. the breakpoint's gla, the CR's old and new value). */
  readonly data: ReasonData<R>;
  /** The vCPU waits for a reply (VCPU_PAUSED); async copies need none. */
  readonly sync: boolean;
  readonly regs: Registers;
  /** The decoded wire message, whole. */
  readonly raw: MonitorEvent;
  /** Whether a reply was sent (by a helper below, or by the session's error policy). */
  readonly answered: boolean;
  /** Swallow it: no #BP/#DB reaches the guest, a CR/MSR write is denied, a mem-access skipped. */
  drop(flags?: ReplyFlags): Promise<void>;
  /** Let it happen as if unmonitored. */
  reinject(flags?: ReplyFlags): Promise<void>;
  /** Reinject and keep the vCPU paused until `resume` (libvmi's "leave the vCPU paused"). */
  pause(flags?: ReplyFlags): Promise<void>;
}

/** The linear address an event is "at": the access's gla for mem-access events, else RIP. */
export function eventAddress(e: VmiEvent): bigint {
  return e.reason === 'memAccess' && e.data.gla !== undefined ? e.data.gla : e.regs.rip;
}

export const isSync = (m: MonitorEvent): boolean => (m.flags & EventFlag.EVENT_FLAG_VCPU_PAUSED) !== 0;
