/**
 * The control plane of one domain, on the wire's types (proto/tsvmi/v1/control.proto)
 * so that every transport serves exactly the same operations: guest memory
 * (physical, and virtual through a CR3 or a vCPU), registers, pause and resume,
 * page permissions, the monitor configuration, capabilities, domain info and the vCPUs'
 * trace logs. Every request is validated first; a bad one throws a MonitorError and
 * changes nothing.
 */
import { GuestFault, hasErrorCode } from '../hypervisor/cpu/fault.js';
import type { Cpu } from '../hypervisor/cpu/cpu.js';
import type { Mmu } from '../hypervisor/mmu/mmu.js';
import { readMsr, writeMsr } from '../hypervisor/cpu/msr.js';
import type { EventKind } from '../hypervisor/vcpu/exit.js';
import { VcpuState as HvVcpuState } from '../hypervisor/vcpu/vcpu.js';
import { inGuestTimeOrder } from '../hypervisor/vcpu/trace-log.js';
import { EventType, Reason as PbReason, Vendor } from '../generated/tsvmi/v1/common.js';
import {
  DomainState, SingleStepMode, VcpuState,
  type CapabilitiesReply, type DomainInfoReply, type GetRegistersReply, type GetRegistersRequest, type GetTraceReply, type GetTraceRequest, type MonitorConfig as PbMonitorConfig,
  type InjectRequest, type ReadPhysicalRequest, type SetPagePermissionsRequest, type SetSingleStepRequest, type ReadVirtualRequest, type SetRegistersRequest, type WritePhysicalRequest, type WriteVirtualRequest,
} from '../generated/tsvmi/v1/control.js';
import { MONITORABLE_CRS, type MonitorConfig } from './config.js';
import { MonitorError, MonitorErrorCode } from './errors.js';
import { Reason, snapshot } from './event.js';
import type { Monitor } from './monitor.js';
import { monitorStats } from './monitor-stats.js';
import { checkRegisters, fromUpdate, isCanonical, writeRegisters } from './register-write.js';
import { pageAccessMap, registers } from './wire.js';

/** The most one read or write moves (libvmi reads page by page; this allows a few hundred pages). */
export const MAX_TRANSFER = 1 << 20;

/**
 * The most trace entries one reply carries: the newest ones. An entry encodes to at most
 * about 80 bytes, so a full reply stays well under NATS's default 1 MiB max_payload;
 * two vCPUs' full logs (4096 entries each) fit whole.
 */
export const MAX_TRACE_ENTRIES = 8192;

/** Reasons by their wire value; the monitor's names are the wire names in kebab case. */
const REASONS: ReadonlyMap<PbReason, Reason> = new Map([
  [PbReason.REASON_SOFTWARE_BREAKPOINT, Reason.SOFTWARE_BREAKPOINT],
  [PbReason.REASON_SINGLESTEP, Reason.SINGLESTEP],
  [PbReason.REASON_DEBUG_EXCEPTION, Reason.DEBUG_EXCEPTION],
  [PbReason.REASON_GUEST_REQUEST, Reason.GUEST_REQUEST],
  [PbReason.REASON_CPUID, Reason.CPUID],
  [PbReason.REASON_WRITE_CTRLREG, Reason.WRITE_CTRLREG],
  [PbReason.REASON_MOV_TO_MSR, Reason.MOV_TO_MSR],
  [PbReason.REASON_IO_INSTRUCTION, Reason.IO_INSTRUCTION],
  [PbReason.REASON_DESCRIPTOR_ACCESS, Reason.DESCRIPTOR_ACCESS],
  [PbReason.REASON_MEM_ACCESS, Reason.MEM_ACCESS],
  [PbReason.REASON_INTERRUPT, Reason.INTERRUPT],
]);

const WIRE_VENDOR = { intel: Vendor.VENDOR_INTEL, amd: Vendor.VENDOR_AMD } as const;

const fail = (code: MonitorErrorCode, message: string): never => { throw new MonitorError(code, message); };
const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

/** RDMSR would not #GP: the MSR is modelled (writes may still refuse values, as WRMSR would). */
function msrExists(c: Cpu, index: number): boolean {
  try {
    readMsr(c, index);
    return true;
  } catch (e) {
    if (e instanceof GuestFault) return false;
    throw e;
  }
}

/** Indexes select CRs or MSRs, and only for those two reasons. */
function checkIndexes(reason: Reason, indexes: readonly number[]): void {
  if (reason === Reason.MOV_TO_MSR) return;
  if (reason !== Reason.WRITE_CTRLREG) fail(MonitorErrorCode.INVALID_ARGUMENT, `reason ${reason} takes no indexes (only CR and MSR writes do)`);
  const bad = indexes.find((n) => !MONITORABLE_CRS.includes(n));
  if (bad !== undefined) fail(MonitorErrorCode.INVALID_ARGUMENT, `CR${bad} writes cannot be monitored (CR${MONITORABLE_CRS.join(', CR')} can)`);
}

export class ControlPlane {
  constructor(private readonly monitor: Monitor) {}

  private get domain() { return this.monitor.domain; }

  private checkDomain(name: string): void {
    if (name !== this.domain.name) fail(MonitorErrorCode.UNKNOWN_DOMAIN, `no domain "${name}" here (this is "${this.domain.name}")`);
  }

  private checkLength(length: number): void {
    if (length < 1 || length > MAX_TRANSFER) fail(MonitorErrorCode.OUT_OF_RANGE, `length ${length} is outside 1..${MAX_TRANSFER}`);
  }

  /** A guest-physical range in RAM, as a number (guest RAM is far below 2^53). */
  private physical(gpa: bigint, length: number): number {
    this.checkLength(length);
    const mem = this.domain.mem;
    if (gpa + BigInt(length) > BigInt(mem.size) || !mem.isRam(Number(gpa), length)) {
      fail(MonitorErrorCode.OUT_OF_RANGE, `guest-physical ${hex(gpa)}+${length} is not guest RAM (RAM is ${hex(mem.size)} bytes)`);
    }
    return Number(gpa);
  }

  readPhysical(r: ReadPhysicalRequest): Uint8Array {
    this.checkDomain(r.domain);
    const pa = this.physical(r.gpa, r.length);
    return this.domain.mem.bytes.slice(pa, pa + r.length);
  }

  writePhysical(r: WritePhysicalRequest): void {
    this.checkDomain(r.domain);
    this.domain.mem.writeBytes(this.physical(r.gpa, r.data.length), r.data); // drops compiled code on those pages
  }

  /** The MMU and CR3 to translate through: a vCPU's own, or vCPU 0's paging mode with the given root. */
  private translation(t: ReadVirtualRequest['translation']): { mmu: Mmu; cr3: number } {
    if (!t) return fail(MonitorErrorCode.INVALID_ARGUMENT, 'say how to translate: a cr3 or a vcpu');
    if (t.$case === 'vcpu') {
      const mmu = this.monitor.vcpu(t.value).cpu.mmu;
      return { mmu, cr3: mmu.cr3 };
    }
    if (t.value >= 1n << 52n) fail(MonitorErrorCode.INVALID_ARGUMENT, `cr3 ${hex(t.value)} is above the 52-bit physical address space`);
    return { mmu: this.domain.bsp.cpu.mmu, cr3: Number(t.value) };
  }

  private virtual(gva: bigint): number {
    if (!isCanonical(gva)) fail(MonitorErrorCode.OUT_OF_RANGE, `guest-virtual ${hex(gva)} is not canonical`);
    return Number(BigInt.asIntN(64, gva));
  }

  readVirtual(r: ReadVirtualRequest): Uint8Array {
    this.checkDomain(r.domain);
    this.checkLength(r.length);
    const { mmu, cr3 } = this.translation(r.translation);
    return mmu.peek(this.virtual(r.gva), r.length, cr3) ?? fail(MonitorErrorCode.OUT_OF_RANGE, `guest-virtual ${hex(r.gva)}+${r.length} is not mapped to RAM`);
  }

  writeVirtual(r: WriteVirtualRequest): void {
    this.checkDomain(r.domain);
    this.checkLength(r.data.length);
    const { mmu, cr3 } = this.translation(r.translation);
    if (!mmu.poke(this.virtual(r.gva), r.data, cr3)) fail(MonitorErrorCode.OUT_OF_RANGE, `guest-virtual ${hex(r.gva)}+${r.data.length} is not mapped to RAM`);
  }

  getRegisters(r: GetRegistersRequest): Omit<GetRegistersReply, 'error'> {
    this.checkDomain(r.domain);
    const c = this.monitor.vcpu(r.vcpu).cpu;
    const msrs = r.msrs.map((index) => {
      if (!msrExists(c, index)) fail(MonitorErrorCode.INVALID_ARGUMENT, `MSR ${hex(index)} does not exist on this vCPU`);
      const [lo, hi] = readMsr(c, index);
      return { index, value: (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0) };
    });
    return { registers: registers(snapshot(c)), msrs };
  }

  setRegisters(r: SetRegistersRequest): void {
    this.checkDomain(r.domain);
    const v = this.monitor.vcpu(r.vcpu);
    const regs = r.registers ? fromUpdate(r.registers) : {};
    for (const m of r.msrs) if (!msrExists(v.cpu, m.index)) fail(MonitorErrorCode.INVALID_ARGUMENT, `MSR ${hex(m.index)} does not exist on this vCPU`);
    checkRegisters(regs);
    // MSRs first: WRMSR may refuse a value (#GP), and then no register has changed. MSRs
    // before the refused one stay written, as with a sequence of WRMSRs.
    for (const m of r.msrs) {
      try {
        writeMsr(v.cpu, m.index, Number(m.value & 0xffffffffn) | 0, Number(BigInt.asUintN(64, m.value) >> 32n) | 0);
      } catch (e) {
        if (e instanceof GuestFault) fail(MonitorErrorCode.INVALID_ARGUMENT, `WRMSR ${hex(m.index)} refuses ${hex(m.value)}`);
        throw e;
      }
    }
    writeRegisters(v, regs);
  }

  /** Turn single-stepping of one vCPU on or off (MTF on vmx, the shadowed TF on svm). */
  setSingleStep(r: SetSingleStepRequest): void {
    this.checkDomain(r.domain);
    this.monitor.vcpu(r.vcpu).setSingleStep(r.enabled);
    this.domain.kick();
  }

  /** Queue an event for the vCPU's next entry (Xen's xc_hvm_inject_trap); one at a time. */
  inject(r: InjectRequest): void {
    this.checkDomain(r.domain);
    const v = this.monitor.vcpu(r.vcpu);
    if (r.vector > 255) fail(MonitorErrorCode.INVALID_ARGUMENT, `vector ${r.vector} is above 255`);
    const exception = r.type === EventType.EVENT_TYPE_HW_EXCEPTION || r.type === EventType.EVENT_TYPE_SW_EXCEPTION || r.type === EventType.EVENT_TYPE_PRIV_SW_EXCEPTION;
    if (exception && r.vector >= 32) fail(MonitorErrorCode.INVALID_ARGUMENT, `vector ${r.vector} is not an exception (0-31) for type ${EventType[r.type]}`);
    if (r.type === EventType.EVENT_TYPE_NMI && r.vector !== 2) fail(MonitorErrorCode.INVALID_ARGUMENT, 'an NMI has vector 2');
    if (!(r.type in EventType) || r.type === EventType.UNRECOGNIZED) fail(MonitorErrorCode.INVALID_ARGUMENT, `unknown event type ${r.type}`);
    const software = r.type === EventType.EVENT_TYPE_SW_INTERRUPT || r.type === EventType.EVENT_TYPE_SW_EXCEPTION || r.type === EventType.EVENT_TYPE_PRIV_SW_EXCEPTION;
    if (software && (r.instructionLength < 1 || r.instructionLength > 15)) fail(MonitorErrorCode.INVALID_ARGUMENT, 'a software event needs the instruction length (1-15)');
    if ((r.errorCode !== undefined) !== (r.type === EventType.EVENT_TYPE_HW_EXCEPTION && hasErrorCode(r.vector))) {
      fail(MonitorErrorCode.INVALID_ARGUMENT, `vector ${r.vector} ${hasErrorCode(r.vector) ? 'needs' : 'takes no'} error code`);
    }
    if (v.cpu.injection) fail(MonitorErrorCode.INVALID_ARGUMENT, `vCPU ${r.vcpu} already has an event waiting to be injected`);
    // The answer to an exception exit may re-inject that exception, which would take the
    // one injection slot and silently drop this event (Xen answers -EBUSY likewise).
    const waiting = v.pendingExit?.exception;
    if (waiting) fail(MonitorErrorCode.INVALID_ARGUMENT, `vCPU ${r.vcpu} waits for the answer to its exit for vector ${waiting.vector}; answer that event first`);
    // Such a vCPU never enters again (crashed), or enters only through a SIPI that resets it
    // to real mode: the event would never be delivered, or delivered into the trampoline.
    if (v.state === HvVcpuState.CRASHED || v.state === HvVcpuState.WAIT_SIPI) fail(MonitorErrorCode.INVALID_ARGUMENT, `vCPU ${r.vcpu} is ${v.state === HvVcpuState.CRASHED ? 'crashed' : 'not started (waiting for a SIPI)'}: nothing would deliver the event`);
    if (r.cr2 !== undefined) v.cpu.cr2 = Number(BigInt.asUintN(64, r.cr2)); // Xen sets CR2 with the #PF too
    v.inject({
      vector: r.vector, type: r.type as EventKind,
      ...(r.errorCode !== undefined ? { errorCode: r.errorCode } : {}),
      ...(software ? { instructionLength: r.instructionLength } : {}),
    });
    this.domain.kick();
  }

  pause(r: { domain: string; vcpu?: number | undefined }): void {
    this.checkDomain(r.domain);
    this.monitor.pause(r.vcpu);
  }

  resume(r: { domain: string; vcpu?: number | undefined }): void {
    this.checkDomain(r.domain);
    this.monitor.resume(r.vcpu);
  }

  /** Xen's xc_set_mem_access: a forbidden access raises a mem-access event (when enabled) instead of happening. */
  setPagePermissions(r: SetPagePermissionsRequest): void {
    this.checkDomain(r.domain);
    this.monitor.setPageAccess(pageAccessMap(r.pages));
  }

  setMonitorConfig(r: { domain: string; config: PbMonitorConfig | undefined }): void {
    this.checkDomain(r.domain);
    const config: MonitorConfig = this.monitor.currentConfig(); // reasons not listed keep their settings
    for (const c of r.config?.reasons ?? []) {
      const reason = REASONS.get(c.reason) ?? fail(MonitorErrorCode.UNSUPPORTED, `reason ${PbReason[c.reason] ?? c.reason} is not one tsvmi raises`);
      if (c.indexes.length > 0) checkIndexes(reason, c.indexes);
      if (c.enabled) config[reason] = { sync: c.sync, ...(c.onChangeOnly ? { onChangeOnly: true } : {}), ...(c.indexes.length > 0 ? { indexes: c.indexes } : {}) };
      else delete config[reason];
    }
    this.monitor.configure(config, { includeEmulated: r.config?.includeEmulated === true });
  }

  capabilities(r: { domain: string }): Omit<CapabilitiesReply, 'error'> {
    this.checkDomain(r.domain);
    const caps = this.domain.bsp.capabilities!;
    return {
      vendor: WIRE_VENDOR[caps.vendor],
      monitorTrap: caps.monitorTrap,
      singleStep: caps.singleStep === 'mtf' ? SingleStepMode.SINGLE_STEP_MODE_MTF : SingleStepMode.SINGLE_STEP_MODE_RFLAGS_TF,
      reasons: [...REASONS.keys()],
    };
  }

  info(r: { domain: string }): Omit<DomainInfoReply, 'error'> {
    this.checkDomain(r.domain);
    const d = this.domain;
    const crashed = d.vcpus.some((v) => v.state === HvVcpuState.CRASHED);
    return {
      vcpus: d.vcpus.length,
      memoryBytes: BigInt(d.mem.size),
      vendor: WIRE_VENDOR[d.bsp.capabilities!.vendor],
      state: crashed ? DomainState.DOMAIN_STATE_CRASHED
        : d.exitStatus !== undefined ? DomainState.DOMAIN_STATE_SHUTDOWN
          : d.pauseCount > 0 ? DomainState.DOMAIN_STATE_PAUSED : DomainState.DOMAIN_STATE_RUNNING,
      ...(d.exitStatus !== undefined ? { exitStatus: d.exitStatus } : {}),
      vcpuStats: d.vcpus.map((v) => ({
        vcpu: v.id,
        state: v.paused ? VcpuState.VCPU_STATE_PAUSED
          : v.state === HvVcpuState.HALTED ? VcpuState.VCPU_STATE_HALTED
            : v.state === HvVcpuState.WAIT_SIPI ? VcpuState.VCPU_STATE_WAIT_FOR_SIPI : VcpuState.VCPU_STATE_RUNNING,
        retiredInstructions: BigInt(v.cpu.icount),
        exits: BigInt([...v.stats.exits.values()].reduce((a, b) => a + b, 0)),
        events: BigInt(this.monitor.eventsByVcpu[v.id]!),
        exitsByReason: Object.fromEntries([...v.stats.exits].map(([reason, n]) => [reason, BigInt(n)])),
        injected: BigInt(v.stats.injected),
        nmiInjected: BigInt(v.stats.nmiInjected),
      })),
      monitor: monitorStats(this.monitor),
    };
  }

  /** The newest trace entries of one vCPU or all, oldest first by guest time (ktrdump's order). */
  trace(r: GetTraceRequest): Omit<GetTraceReply, 'error'> {
    this.checkDomain(r.domain);
    if (r.limit > MAX_TRACE_ENTRIES) fail(MonitorErrorCode.OUT_OF_RANGE, `limit ${r.limit} is above ${MAX_TRACE_ENTRIES} entries a reply holds (0 means as many as it holds)`);
    const vcpus = r.vcpu === undefined ? this.domain.vcpus : [this.monitor.vcpu(r.vcpu)];
    const all = inGuestTimeOrder(vcpus.flatMap((v) => v.trace.entries()));
    return { entries: all.slice(-(r.limit || MAX_TRACE_ENTRIES)).map((e) => ({ vcpu: e.vcpu, icount: BigInt(e.icount), message: e.message })) };
  }
}
