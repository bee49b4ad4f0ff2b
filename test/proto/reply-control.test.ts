/**
 * MonitorReply and control messages round-trip through the generated code,
 * and the things the monitor must tell apart stay distinguishable on the
 * wire: an ACTION_UNSPECIFIED reply (refused, as in libvmi), a register set
 * to 0 versus one left alone, a vCPU pause versus a domain pause.
 */
import assert from 'node:assert/strict';
import { EventType, Reason, Vendor } from '../../src/generated/tsvmi/v1/common.js';
import {
  CapabilitiesReply, DomainInfoReply, DomainState, GetRegistersReply, GetTraceReply, GetTraceRequest, InjectRequest, PauseRequest,
  ReadVirtualRequest, SetMonitorConfigRequest, SetPagePermissionsRequest, SingleStepMode, StatusReply,
  VcpuState, WritePhysicalRequest,
} from '../../src/generated/tsvmi/v1/control.js';
import { ErrorCode } from '../../src/generated/tsvmi/v1/error.js';
import { Action, MonitorReply } from '../../src/generated/tsvmi/v1/reply.js';
import { Registers } from '../../src/generated/tsvmi/v1/registers.js';
import { parseText, protocDecode } from '../support/protoc.js';

/** Encode and decode with the generated code for `fns`, returning the decoded copy. */
function roundTrip<T>(fns: { encode(m: T): { finish(): Uint8Array }; decode(b: Uint8Array): T }, message: T): T {
  return fns.decode(fns.encode(message).finish());
}

describe('proto: MonitorReply', () => {
  it('round-trips every field, with set_registers writing only what is present', () => {
    const reply = MonitorReply.fromPartial({
      domain: 'demo', seq: 0x1_0000_0001n, action: Action.ACTION_REINJECT, pause: true,
      toggleSingleStep: true, emulate: true,
      setRegisters: { rip: 0xffffffff81000125n, rax: 0n },
      stepPermissions: [{ gfn: 0x1000n, read: true, write: false, execute: true }],
    });
    const back = roundTrip(MonitorReply, reply);
    assert.deepEqual(back, reply);
    // RAX = 0 is present (proto3 optional) and distinct from an untouched RBX.
    assert.equal(back.setRegisters?.rax, 0n);
    assert.equal(back.setRegisters?.rbx, undefined);

    const text = parseText(protocDecode('tsvmi.v1.MonitorReply', 'tsvmi/v1/reply.proto', MonitorReply.encode(reply).finish()));
    assert.equal(text.action, 'ACTION_REINJECT');
    assert.deepEqual(text.set_registers, { rax: '0', rip: 0xffffffff81000125n.toString() });
  });

  it('represents a reply that says neither drop nor reinject, so the monitor can refuse it', () => {
    // The zero value is what an empty or truncated message decodes to.
    assert.equal(MonitorReply.decode(new Uint8Array()).action, Action.ACTION_UNSPECIFIED);
    const undecided = MonitorReply.fromPartial({ domain: 'demo', seq: 7n, pause: true });
    const back = roundTrip(MonitorReply, undecided);
    assert.equal(back.action, Action.ACTION_UNSPECIFIED);
    assert.equal(Action.ACTION_UNSPECIFIED, 0);
    // DROP and REINJECT are distinct non-zero values.
    assert.notEqual(roundTrip(MonitorReply, { ...undecided, action: Action.ACTION_DROP }).action, Action.ACTION_UNSPECIFIED);
  });
});

describe('proto: control messages', () => {
  it('guest memory: a write carries bytes; a virtual read names a CR3 or a vCPU', () => {
    const write = WritePhysicalRequest.fromPartial({ domain: 'demo', gpa: 0x7c00n, data: Buffer.from([0xcc, 0x90]) /* env=node: bytes are Buffers */ });
    const wback = roundTrip(WritePhysicalRequest, write);
    assert.equal(wback.gpa, 0x7c00n);
    assert.deepEqual([...wback.data], [0xcc, 0x90]);

    const byCr3 = { domain: 'demo', translation: { $case: 'cr3' as const, value: 0x1000n }, gva: 0xffffffff81000000n, length: 16 };
    assert.deepEqual(roundTrip(ReadVirtualRequest, byCr3), byCr3);
    const byVcpu = { ...byCr3, translation: { $case: 'vcpu' as const, value: 0 } };
    // vCPU 0 survives: a oneof member is on the wire even at its zero value.
    assert.deepEqual(roundTrip(ReadVirtualRequest, byVcpu), byVcpu);
  });

  it('pause: the whole domain, or vCPU 0 alone', () => {
    assert.equal(roundTrip(PauseRequest, { domain: 'demo', vcpu: undefined }).vcpu, undefined);
    assert.equal(roundTrip(PauseRequest, { domain: 'demo', vcpu: 0 }).vcpu, 0);
  });

  it('inject: #PF with an error code of 0 and CR2, and an NMI without one', () => {
    const pf = InjectRequest.fromPartial({ domain: 'demo', vcpu: 1, vector: 14, type: EventType.EVENT_TYPE_HW_EXCEPTION, errorCode: 0, cr2: 0xdead000n });
    assert.deepEqual(roundTrip(InjectRequest, pf), pf);
    const nmi = roundTrip(InjectRequest, InjectRequest.fromPartial({ domain: 'demo', vcpu: 0, vector: 2, type: EventType.EVENT_TYPE_NMI }));
    assert.equal(nmi.errorCode, undefined);
    assert.equal(nmi.type, EventType.EVENT_TYPE_NMI);
  });

  it('monitor configuration and page permissions', () => {
    const config = SetMonitorConfigRequest.fromPartial({
      domain: 'demo',
      config: {
        includeEmulated: false,
        reasons: [
          { reason: Reason.REASON_SOFTWARE_BREAKPOINT, enabled: true, sync: true },
          { reason: Reason.REASON_WRITE_CTRLREG, enabled: true, sync: false, onChangeOnly: true, indexes: [3] },
        ],
      },
    });
    assert.deepEqual(roundTrip(SetMonitorConfigRequest, config), config);
    const perms = SetPagePermissionsRequest.fromPartial({ domain: 'demo', pages: [{ gfn: 0x1000n, read: true, write: false, execute: false }] });
    assert.deepEqual(roundTrip(SetPagePermissionsRequest, perms), perms);
  });

  it('queries: capabilities, domain info with exits by reason, registers with MSRs, the trace log', () => {
    const caps = CapabilitiesReply.fromPartial({
      vendor: Vendor.VENDOR_AMD, monitorTrap: false, singleStep: SingleStepMode.SINGLE_STEP_MODE_RFLAGS_TF,
      reasons: [Reason.REASON_SOFTWARE_BREAKPOINT, Reason.REASON_SINGLESTEP, Reason.REASON_IO_INSTRUCTION],
    });
    assert.deepEqual(roundTrip(CapabilitiesReply, caps), caps);
    const info = DomainInfoReply.fromPartial({
      vcpus: 2, memoryBytes: 64n << 20n, vendor: Vendor.VENDOR_INTEL, state: DomainState.DOMAIN_STATE_RUNNING,
      vcpuStats: [{
        vcpu: 0, state: VcpuState.VCPU_STATE_HALTED, retiredInstructions: 1n << 40n, exits: (1n << 60n) + 4n, events: 3n,
        exitsByReason: { 'breakpoint': 1n << 60n, 'cr-write': 4n }, injected: 2n, nmiInjected: 1n,
      }],
    });
    assert.deepEqual(roundTrip(DomainInfoReply, info), info);
    const trace = GetTraceReply.fromPartial({ entries: [{ vcpu: 1, icount: 1n << 50n, message: 'NMI delivered' }, { vcpu: 0, icount: 0n, message: '' }] });
    assert.deepEqual(roundTrip(GetTraceReply, trace), trace);
    assert.deepEqual(roundTrip(GetTraceRequest, GetTraceRequest.fromPartial({ domain: 'demo', vcpu: 0 })).vcpu, 0, 'vCPU 0 is not "every vCPU"');
    const regs = GetRegistersReply.fromPartial({
      registers: Registers.fromPartial({ rip: 0xffffffff81000000n, cr3: 0x1000n }),
      msrs: [{ index: 0xc0000080, value: 0xd01n }],
    });
    assert.deepEqual(roundTrip(GetRegistersReply, regs), regs);
  });

  it('errors are typed, and readable by protoc', () => {
    const refused = StatusReply.fromPartial({ error: { code: ErrorCode.ERROR_CODE_UNKNOWN_VCPU, message: 'vcpu 9: domain demo has 2' } });
    assert.deepEqual(roundTrip(StatusReply, refused), refused);
    assert.equal(roundTrip(StatusReply, { error: undefined }).error, undefined); // success: no error at all
    const text = parseText(protocDecode('tsvmi.v1.StatusReply', 'tsvmi/v1/control.proto', StatusReply.encode(refused).finish()));
    assert.deepEqual(text.error, { code: 'ERROR_CODE_UNKNOWN_VCPU', message: '"vcpu 9: domain demo has 2"' });
  });
});
