/**
 * VmiEvents for operator tests, built through the generated fromPartial so
 * every field has its wire default, without a hypervisor or a session.
 */
import { MonitorEvent, EventFlag } from '../../src/generated/tsvmi/v1/event.js';
import { Registers } from '../../src/generated/tsvmi/v1/registers.js';
import type { ReasonName, VmiEvent, VmiEventOf } from '../../src/introspect/event.js';

type Partial64 = bigint | number;

export interface EventFields<R extends ReasonName> {
  reason?: R;
  domain?: string;
  vcpu?: number;
  seq?: Partial64;
  /** Default true: the vCPU waits for a reply. */
  sync?: boolean;
  rip?: Partial64;
  cr3?: Partial64;
  rax?: Partial64;
  rdi?: Partial64;
  rsi?: Partial64;
  rdx?: Partial64;
  /** For memAccess and softwareBreakpoint: the reason's gla (a breakpoint's defaults to rip). */
  gla?: Partial64;
}

type MonitorEventInit = Parameters<typeof MonitorEvent.fromPartial>[0];

/** A VmiEvent whose reply helpers just record that they were called. Reason defaults to softwareBreakpoint. */
export function vmiEvent<R extends ReasonName = 'softwareBreakpoint'>(f: EventFields<R> = {}): VmiEvent<R> {
  const reason = f.reason ?? 'softwareBreakpoint';
  const value =
    reason === 'softwareBreakpoint' ? { gla: f.gla ?? f.rip ?? 0 }
    : reason === 'memAccess' ? { gla: f.gla }
    : {};
  const init = {
    domain: f.domain ?? 'test',
    vcpu: f.vcpu ?? 0,
    seq: f.seq ?? 1,
    flags: (f.sync ?? true) ? EventFlag.EVENT_FLAG_VCPU_PAUSED : EventFlag.EVENT_FLAG_NONE,
    regs: { rip: f.rip, cr3: f.cr3, rax: f.rax, rdi: f.rdi, rsi: f.rsi, rdx: f.rdx },
    // fromPartial switches on $case; TS cannot relate a generic R to the oneof's cases.
    reason: { $case: reason, value },
  } as MonitorEventInit;
  const raw = MonitorEvent.fromPartial(init);
  let answered = false;
  const reply = async (): Promise<void> => {
    answered = true;
  };
  // Checked against the reason-generic interface, then asserted once: VmiEvent<R>
  // is a conditional type, which TS cannot resolve for a generic R.
  const event: VmiEventOf<ReasonName> = {
    domain: raw.domain,
    vcpu: raw.vcpu,
    seq: raw.seq,
    reason,
    data: raw.reason!.value,
    sync: f.sync ?? true,
    regs: raw.regs ?? Registers.fromPartial({}),
    raw,
    get answered() {
      return answered;
    },
    drop: reply,
    reinject: reply,
    pause: reply,
  };
  return event as unknown as VmiEvent<R>;
}
