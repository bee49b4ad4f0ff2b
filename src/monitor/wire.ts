/**
 * The monitor's types on the wire (proto/tsvmi/v1): events out, replies in.
 * Decoding a reply validates it completely before anything is applied, so a
 * malformed reply is refused with a typed error and changes nothing.
 */
import { PageAccess } from '../hypervisor/mmu/page-access.js';
import type { PageAccess as PbPageAccess } from '../generated/tsvmi/v1/common.js';
import { ErrorCode, type Error as PbError } from '../generated/tsvmi/v1/error.js';
import * as pb from '../generated/tsvmi/v1/event.js';
import type { Registers as PbRegisters, Segment as PbSegment } from '../generated/tsvmi/v1/registers.js';
import { Action, MonitorReply } from '../generated/tsvmi/v1/reply.js';
import { MonitorError, MonitorErrorCode } from './errors.js';
import { INVALID_GFN, Reason, u64, type MonitorEvent, type Registers } from './event.js';
import type { Monitor, Reply } from './monitor.js';
import { attributesToWire, fromUpdate } from './register-write.js';


/**
 * The wire's register message. Built as one literal, field by field: every event and every
 * get-registers carries it, and the generic version (fromEntries, spreads) cost ~90 µs a call.
 */
export function registers(r: Registers): PbRegisters {
  const g = r.gpr, d = r.dr, seg = (k: number): PbSegment => {
    const s = r.segments[k]!;
    return { selector: s.selector, base: s.base, limit: s.limit, attributes: attributesToWire(s.attributes) };
  };
  return {
    rax: g[0]!, rcx: g[1]!, rdx: g[2]!, rbx: g[3]!, rsp: g[4]!, rbp: g[5]!, rsi: g[6]!, rdi: g[7]!,
    r8: g[8]!, r9: g[9]!, r10: g[10]!, r11: g[11]!, r12: g[12]!, r13: g[13]!, r14: g[14]!, r15: g[15]!,
    rip: r.rip, rflags: r.rflags, cr0: r.cr0, cr2: r.cr2, cr3: r.cr3, cr4: r.cr4,
    dr0: d[0]!, dr1: d[1]!, dr2: d[2]!, dr3: d[3]!, dr6: d[6]!, dr7: d[7]!,
    efer: r.efer, es: seg(0), cs: seg(1), ss: seg(2), ds: seg(3), fs: seg(4), gs: seg(5),
    fsBase: r.fsBase, gsBase: r.gsBase, kernelGsBase: r.kernelGsBase, gdtr: r.gdtr, idtr: r.idtr,
  };
}

/** The reason oneof. Addresses are linear (flat code segments, as Xen's gla for a 64-bit guest). */
function reasonOf(e: MonitorEvent): pb.MonitorEvent['reason'] {
  const x = e.exit;
  const gfn = e.codeGfn ?? INVALID_GFN;
  switch (e.reason) {
    case Reason.SOFTWARE_BREAKPOINT:
      return { $case: 'softwareBreakpoint', value: { gfn, gla: e.regs.rip, instructionLength: x.instructionLength, type: x.exception?.type ?? 6 } };
    case Reason.SINGLESTEP:
      return { $case: 'singleStep', value: { gfn } };
    case Reason.DEBUG_EXCEPTION:
      return { $case: 'debugException', value: { gfn, pendingDbg: u64(x.pendingDbg ?? 0), instructionLength: x.instructionLength, type: x.exception?.type ?? 3 } };
    case Reason.GUEST_REQUEST:
      return { $case: 'guestRequest', value: {} };
    case Reason.CPUID:
      return { $case: 'cpuid', value: { leaf: x.cpuid!.leaf >>> 0, subleaf: x.cpuid!.subleaf >>> 0, instructionLength: x.instructionLength } };
    case Reason.WRITE_CTRLREG:
      return { $case: 'writeCtrlreg', value: { index: x.cr!.index, oldValue: e.oldValue ?? 0n, newValue: u64(x.cr!.value) } };
    case Reason.MOV_TO_MSR: {
      const [lo, hi] = x.msr!.value;
      return { $case: 'movToMsr', value: { index: x.msr!.index >>> 0, oldValue: e.oldValue ?? 0n, newValue: (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0) } };
    }
    case Reason.IO_INSTRUCTION:
      return { $case: 'ioInstruction', value: { ...x.io! } };
    case Reason.INTERRUPT: {
      const i = x.exception!;
      return { $case: 'interrupt', value: { vector: i.vector, type: i.type, ...(i.errorCode !== undefined ? { errorCode: i.errorCode } : {}), cr2: u64(i.cr2 ?? 0) } };
    }
    case Reason.MEM_ACCESS: {
      const m = x.memAccess!;
      return {
        $case: 'memAccess',
        value: { gfn: BigInt(Math.floor(m.gpa / 4096)), offset: BigInt(m.gpa % 4096), ...(m.gla !== undefined ? { gla: u64(m.gla) } : {}), read: m.read, write: m.write, execute: m.execute },
      };
    }
    case Reason.DESCRIPTOR_ACCESS: {
      const name = `DESCRIPTOR_INSTRUCTION_${x.descriptor!.instruction.toUpperCase()}` as keyof typeof pb.DescriptorInstruction;
      return { $case: 'descriptorAccess', value: { instruction: pb.DescriptorInstruction[name] ?? 0, instructionLength: x.instructionLength } };
    }
  }
}


export function encodeEvent(e: MonitorEvent): Uint8Array {
  return pb.MonitorEvent.encode({
    domain: e.domain, vcpu: e.vcpu, seq: e.seq, flags: e.flags, guestTime: e.guestTime, hostTime: e.hostTime,
    regs: registers(e.regs), reason: reasonOf(e),
  }).finish();
}

const invalid = (message: string): never => { throw new MonitorError(MonitorErrorCode.INVALID_REPLY, message); };

/** Decode and check a MonitorReply for `domain`; throws MonitorError(INVALID_REPLY) for anything it cannot honour. */
export function decodeReply(bytes: Uint8Array, domain: string): Reply & { session: string } {
  let m: MonitorReply;
  try {
    m = MonitorReply.decode(bytes);
  } catch (cause) {
    throw new MonitorError(MonitorErrorCode.INVALID_REPLY, `malformed MonitorReply: ${(cause as Error).message}`, { cause });
  }
  if (m.domain !== domain) invalid(`reply for domain "${m.domain}" sent to domain "${domain}"`);
  const action = m.action === Action.ACTION_DROP ? 'drop' : m.action === Action.ACTION_REINJECT ? 'reinject' : undefined;
  const reply: Reply & { session: string } = { seq: m.seq, pause: m.pause, toggleSingleStep: m.toggleSingleStep, emulate: m.emulate, session: m.session };
  if (action) reply.action = action; // a reply without one is refused by the monitor, with the event named
  if (m.setRegisters) reply.setRegisters = fromUpdate(m.setRegisters);
  if (m.stepPermissions.length > 0) reply.stepPermissions = pageAccessMap(m.stepPermissions);
  return reply;
}

/**
 * PageAccess messages as PageAccess bits by frame. A frame named twice is refused rather
 * than resolved by order; frames beyond guest memory are the monitor's to refuse.
 */
export function pageAccessMap(pages: readonly PbPageAccess[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of pages) {
    if (p.gfn >= 1n << 40n) throw new MonitorError(MonitorErrorCode.OUT_OF_RANGE, `frame 0x${p.gfn.toString(16)} is beyond any guest memory`);
    const gfn = Number(p.gfn);
    if (out.has(gfn)) throw new MonitorError(MonitorErrorCode.INVALID_ARGUMENT, `frame 0x${p.gfn.toString(16)} is named twice`);
    out.set(gfn, (p.read ? PageAccess.R : 0) | (p.write ? PageAccess.W : 0) | (p.execute ? PageAccess.X : 0));
  }
  return out;
}

/**
 * Decode a reply off the wire for a monitor's domain. A reply that cannot be decoded is
 * counted as refused here; the monitor counts the refusals of the replies it is given.
 */
export function decodeCounted(monitor: Monitor, bytes: Uint8Array): Reply & { session: string } {
  try {
    return decodeReply(bytes, monitor.domain.name);
  } catch (e) {
    if (e instanceof MonitorError) monitor.countRefused(e.code);
    throw e;
  }
}

/** MonitorError codes as the wire's ErrorCode. */
const WIRE_ERROR: Record<MonitorErrorCode, ErrorCode> = {
  UNKNOWN_DOMAIN: ErrorCode.ERROR_CODE_UNKNOWN_DOMAIN,
  UNKNOWN_VCPU: ErrorCode.ERROR_CODE_UNKNOWN_VCPU,
  BUSY: ErrorCode.ERROR_CODE_BUSY,
  UNKNOWN_EVENT: ErrorCode.ERROR_CODE_INVALID_ARGUMENT,
  ALREADY_ANSWERED: ErrorCode.ERROR_CODE_INVALID_ARGUMENT,
  INVALID_REPLY: ErrorCode.ERROR_CODE_INVALID_ARGUMENT,
  NOT_CONTROLLER: ErrorCode.ERROR_CODE_PERMISSION_DENIED,
  UNSUPPORTED: ErrorCode.ERROR_CODE_UNSUPPORTED,
  OUT_OF_RANGE: ErrorCode.ERROR_CODE_OUT_OF_RANGE,
  INVALID_ARGUMENT: ErrorCode.ERROR_CODE_INVALID_ARGUMENT,
};

/** What a refusal looks like on the wire; anything but a MonitorError is a bug, said as INTERNAL so serving goes on. */
export function wireError(e: unknown): PbError {
  return e instanceof MonitorError ? { code: WIRE_ERROR[e.code], message: e.message } : { code: ErrorCode.ERROR_CODE_INTERNAL, message: String(e) };
}
