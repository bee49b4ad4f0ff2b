/**
 * Running the domain for gdb: one resume, one stop reply, never an unsolicited
 * one. A resume runs the vCPUs its plan names (the others held), single-steps
 * those it says to step, and ends at the first of: a step completed, one of
 * gdb's breakpoints or watchpoints hit, or gdb's Ctrl-C. Then everything is
 * paused before the stop is announced, so gdb looks at a still domain.
 *
 * The requests of a resume, and those of a stop, go out together and are
 * awaited together: the domain serves one client's requests in the order sent
 * (one NATS connection is one ordered stream; the embedded link runs them as
 * called), so a pause sent before a reply takes effect first. A stop is
 * announced as soon as its requests are sent: whatever gdb asks next goes out
 * behind them, so it finds the domain paused — a stepi over NATS is then a
 * round trip and an event. Should the stop's requests fail, the next resume
 * says so (gdb gets an error, not a domain that runs unasked).
 *
 * Several vCPUs may hit breakpoints at once. The first hit is the stop; the
 * others arrive while it is being announced and are kept per vCPU — seed 001's
 * `hit_swbreak` state in bhyve's stub — to be reported, without running
 * anything, at the next resume that includes their vCPU, unless gdb has removed
 * the breakpoint meanwhile (then the vCPU simply runs the original
 * instruction: a dropped int3 left RIP on it). A step that completes after
 * another vCPU's stop is not kept: gdb abandoned that step when it got the
 * stop, and reporting it later would be a spurious SIGTRAP.
 */
import { DomainState, type Registers, type Vmi, type VmiEvent } from '../introspect/index.js';
import { breakpointBits, PointType, type HardwarePoint, type HardwarePoints } from './hardware-points.js';
import type { SoftwareBreakpoints } from './software-breakpoints.js';
import type { Plan } from './vcont.js';

export type StopCause =
  | { kind: 'signal'; signal: number }
  | { kind: 'swbreak' }
  | { kind: 'hwbreak' }
  | { kind: 'watch' | 'rwatch' | 'awatch'; addr: bigint }
  /** The domain ended (W: isa-debug-exit's status) or crashed (X: a triple fault, reported as SIGSEGV). */
  | { kind: 'exited'; status: number }
  | { kind: 'crashed' };

export interface Stop {
  vcpu: number;
  cause: StopCause;
  /** The vCPU's registers as it stopped, when the reply changed none of them (gdb reads them next). */
  regs?: Registers;
}

export const SIGINT = 2;
export const SIGTRAP = 5;
/** How often a resume checks whether the domain has ended (it raises no event for that). */
const END_POLL_MS = 250;
/** RFLAGS.RF: the next instruction's instruction breakpoints are not checked (SDM Vol. 3B §17.3.1.1). */
const RF = 1n << 16n;

/** An event that is gdb's: what it reports, and whether its breakpoint is still set. */
interface Claimed { cause: StopCause; still: () => boolean }

interface Running { plan: Plan; held: number[]; announce: (stop: Stop) => void }

export class Execution {
  private running: Running | undefined;
  /** vCPUs single-stepping for gdb: their step events are gdb's until stepping is turned off. */
  private readonly stepping = new Set<number>();
  /** Hits that came after the stop was announced, per vCPU. */
  private readonly queued = new Map<number, Stop & { still: () => boolean }>();
  /** The requests of the last stop, sent and maybe not answered yet. */
  private stopping: Promise<unknown> = Promise.resolve();

  constructor(private readonly vmi: Vmi, private readonly sw: SoftwareBreakpoints, private readonly hw: HardwarePoints) {}

  /**
   * Resume per `plan` (the session holds the domain paused on entry); `announce` gets the
   * one stop. Resolves once the vCPUs run, or at once when a kept hit is the stop.
   */
  async resume(plan: Plan, announce: (stop: Stop) => void): Promise<void> {
    const stopping = this.stopping;
    this.stopping = Promise.resolve();
    await stopping;
    for (const [vcpu, hit] of this.queued) {
      if (!plan.has(vcpu)) continue;
      this.queued.delete(vcpu);
      if (hit.still()) { announce({ vcpu, cause: hit.cause, ...(hit.regs ? { regs: hit.regs } : {}) }); return; }
    }
    const held = this.vmi.vcpuIds.filter((v) => !plan.has(v));
    const steps = [...plan].filter(([, action]) => action === 's').map(([v]) => v);
    for (const v of steps) this.stepping.add(v);
    const r: Running = { plan, held, announce };
    this.running = r;
    try {
      await Promise.all([...held.map((v) => this.vmi.pause(v)), ...steps.map((v) => this.vmi.setSingleStep(v, true)), this.vmi.resume()]);
    } catch (e) {
      this.running = undefined;
      throw e;
    }
    this.watchForEnd(r);
  }

  /** A domain that shuts down or crashes while gdb waits ends the resume with W or X, as QEMU's stub reports it. */
  private watchForEnd(r: Running): void {
    const check = async (): Promise<void> => {
      const info = await this.vmi.status().catch(() => undefined);
      if (this.running !== r) return;
      const state = info?.state;
      if (state !== DomainState.DOMAIN_STATE_SHUTDOWN && state !== DomainState.DOMAIN_STATE_CRASHED) {
        setTimeout(() => void check(), END_POLL_MS).unref();
        return;
      }
      this.running = undefined;
      await this.settle(r).catch(() => {});
      r.announce({
        vcpu: r.plan.keys().next().value!,
        cause: state === DomainState.DOMAIN_STATE_SHUTDOWN ? { kind: 'exited', status: info!.exitStatus ?? 0 } : { kind: 'crashed' },
      });
    };
    setTimeout(() => void check(), END_POLL_MS).unref();
  }

  /** Ctrl-C: stop everything; the stop names `preferred` if it was running, else the first vCPU that was. */
  async interrupt(preferred: number): Promise<void> {
    const r = this.running;
    if (!r) return; // nothing runs: gdb will get no reply it does not expect
    this.running = undefined;
    await Promise.all([this.vmi.pause(), this.settle(r)]);
    r.announce({ vcpu: r.plan.has(preferred) ? preferred : r.plan.keys().next().value!, cause: { kind: 'signal', signal: SIGINT } });
  }

  /** Detach: forget kept hits, stop stepping, let held vCPUs go. Resolves to whether the domain is running. */
  async cancel(): Promise<boolean> {
    const r = this.running;
    this.running = undefined;
    this.queued.clear();
    await this.settle(r);
    return r !== undefined;
  }

  /** A claim on the SDK session's events: true for gdb's. */
  onEvent(e: VmiEvent): boolean {
    const claimed = this.claim(e);
    if (!claimed) return false;
    void this.take(e, claimed).catch(() => {}); // a failed reply leaves the event to the monitor's redelivery
    return true;
  }

  private claim(e: VmiEvent): Claimed | undefined {
    if (!e.sync) return undefined;
    switch (e.reason) {
      case 'softwareBreakpoint': {
        const gla = e.data.gla;
        return this.sw.has(gla) ? { cause: { kind: 'swbreak' }, still: () => this.sw.has(gla) } : undefined;
      }
      case 'singleStep':
        return this.stepping.has(e.vcpu) ? { cause: { kind: 'signal', signal: SIGTRAP }, still: () => false } : undefined;
      case 'debugException': {
        const point = this.hw.hit(breakpointBits(e.data.pendingDbg, e.regs));
        return point && { cause: causeOf(point), still: () => this.hw.has(point) };
      }
      default:
        return undefined;
    }
  }

  private async take(e: VmiEvent, { cause, still }: Claimed): Promise<void> {
    const r = this.running;
    const regs = cause.kind === 'hwbreak' || cause.kind.endsWith('watch') ? {} : { regs: e.regs }; // answer() changes those
    if (r?.plan.has(e.vcpu)) {
      this.running = undefined;
      // A completed step turns its own single-stepping off with the reply: one request fewer per stepi.
      const ownStep = cause.kind === 'signal' && this.stepping.delete(e.vcpu);
      // The pause goes first, so the reply cannot let the vCPU go on.
      this.stopping = Promise.all([this.vmi.pause(), ownStep ? e.reinject({ toggleSingleStep: true }) : answer(e, cause), this.settle(r)]);
      r.announce({ vcpu: e.vcpu, cause, ...regs });
      await this.stopping;
      return;
    }
    if (cause.kind !== 'signal' && !this.queued.has(e.vcpu)) this.queued.set(e.vcpu, { vcpu: e.vcpu, cause, still, ...regs });
    await answer(e, cause);
  }

  /**
   * After a stop (sent after the domain's pause): single-stepping off, the vCPUs the resume
   * held let go (the domain's pause holds them now). A step event still on its way is not
   * gdb's any more: the SDK session's policy answers it, and it is not reported.
   */
  private async settle(r: Running | undefined): Promise<void> {
    const steps = [...this.stepping];
    this.stepping.clear(); // now: a resume announced meanwhile may step them again
    await Promise.all([...steps.map((v) => this.vmi.setSingleStep(v, false)), ...(r?.held ?? []).map((v) => this.vmi.resume(v))]);
  }
}

function causeOf(point: HardwarePoint): StopCause {
  switch (point.type) {
    case PointType.HARDWARE: return { kind: 'hwbreak' };
    case PointType.WRITE: return { kind: 'watch', addr: point.addr };
    case PointType.READ: return { kind: 'rwatch', addr: point.addr };
    default: return { kind: 'awatch', addr: point.addr };
  }
}

/** The reply that leaves the vCPU where gdb expects it. */
function answer(e: VmiEvent, cause: StopCause): Promise<void> {
  switch (cause.kind) {
    case 'signal': case 'exited': case 'crashed': return e.reinject(); // a completed step: nothing to undo
    case 'swbreak': return e.drop(); // no #BP injected: RIP stays on the int3, where gdb wants the PC
    case 'hwbreak': // a fault: RF lets the instruction run when the vCPU resumes; DR6 is left as the guest had it
      return e.drop({ setRegisters: { rflags: e.regs.rflags | RF, dr6: e.regs.dr6 & ~0xfn } });
    default: return e.drop({ setRegisters: { dr6: e.regs.dr6 & ~0xfn } }); // a trap: the access is done
  }
}
