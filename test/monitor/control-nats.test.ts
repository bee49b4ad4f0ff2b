/**
 * The control plane over a real nats-server: domain info and capabilities per
 * personality, guest memory (physical and virtual), registers, pause and
 * resume, the monitor configuration set remotely, and typed errors for bad
 * requests (unknown domain or vCPU, out-of-range addresses, malformed bytes).
 */
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { EventType, Reason as PbReason, Vendor } from '../../src/generated/tsvmi/v1/common.js';
import {
  CapabilitiesReply, CapabilitiesRequest, DomainInfoReply, DomainInfoRequest, DomainState, GetRegistersReply, GetRegistersRequest, InjectRequest,
  PauseRequest, ReadMemoryReply, ReadPhysicalRequest, ReadVirtualRequest, ResumeRequest, SetMonitorConfigRequest, SetRegistersRequest, SingleStepMode,
  StatusReply, VcpuState, WritePhysicalRequest, WriteVirtualRequest,
} from '../../src/generated/tsvmi/v1/control.js';
import { ErrorCode } from '../../src/generated/tsvmi/v1/error.js';
import { MonitorEvent } from '../../src/generated/tsvmi/v1/event.js';
import { RegisterUpdate } from '../../src/generated/tsvmi/v1/registers.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { NatsMonitorBridge } from '../../src/monitor/nats.js';
import { subjects } from '../../src/monitor/subjects.js';
import { breakpointDomain, CODE } from '../support/breakpoint-guest.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';

interface Codec<T> { encode(m: T): { finish(): Uint8Array }; decode(b: Uint8Array): T; fromPartial(o: object): T }

describe('control plane (NATS transport)', function () {
  this.timeout(30_000);
  let server: NatsServer;
  let service: NatsConnection, client: NatsConnection;
  before(async () => {
    server = await startNatsServer();
    [service, client] = [await connect({ servers: server.url }), await connect({ servers: server.url })];
  });
  after(async () => { await client?.close(); await service?.close(); await server?.stop(); });

  async function call<Q, A>(subject: string, req: Codec<Q>, q: Partial<Q>, rep: Codec<A>): Promise<A> {
    const m = await client.request(`tsvmi.v1.dom.${subject}`, req.encode(req.fromPartial({ domain: 'dom', ...q })).finish(), { timeout: 5_000 });
    return rep.decode(m.data);
  }

  async function serve(vendor: 'intel' | 'amd' = 'intel') {
    const domain = breakpointDomain(2, 'dom', vendor);
    const monitor = new Monitor(domain);
    const bridge = new NatsMonitorBridge(monitor, service);
    await service.flush();
    return { domain, monitor, bridge };
  }

  it('reports domain info and each personality\'s capabilities', async () => {
    for (const vendor of ['intel', 'amd'] as const) {
      const { bridge } = await serve(vendor);
      const caps = await call('control.capabilities', CapabilitiesRequest, {}, CapabilitiesReply);
      assert.equal(caps.error, undefined);
      assert.equal(caps.vendor, vendor === 'amd' ? Vendor.VENDOR_AMD : Vendor.VENDOR_INTEL);
      assert.equal(caps.monitorTrap, vendor === 'intel', 'MTF exists on vmx only');
      assert.equal(caps.singleStep, vendor === 'intel' ? SingleStepMode.SINGLE_STEP_MODE_MTF : SingleStepMode.SINGLE_STEP_MODE_RFLAGS_TF);
      assert.ok(caps.reasons.includes(PbReason.REASON_SOFTWARE_BREAKPOINT));
      assert.deepEqual([...caps.reasons].sort((a, b) => a - b), Object.values(PbReason).filter((r): r is PbReason => typeof r === 'number' && r > 0).sort((a, b) => a - b), 'every reason of the schema');
      const info = await call('info', DomainInfoRequest, {}, DomainInfoReply);
      assert.equal(info.vcpus, 2);
      assert.equal(info.memoryBytes, 4n << 20n);
      assert.equal(info.state, DomainState.DOMAIN_STATE_RUNNING);
      assert.deepEqual(info.vcpuStats.map((s) => s.state), [VcpuState.VCPU_STATE_RUNNING, VcpuState.VCPU_STATE_RUNNING]);
      await bridge.close();
    }
  });

  it('reads and writes guest memory and reads registers, with typed errors for bad requests', async () => {
    const { domain, bridge } = await serve();
    const code = await call('control.read-physical', ReadPhysicalRequest, { gpa: BigInt(CODE), length: 3 }, ReadMemoryReply);
    assert.deepEqual([...code.data], [0xcc, 0xeb, 0xfd]);
    const virt = await call('control.read-virtual', ReadVirtualRequest, { translation: { $case: 'vcpu', value: 1 }, gva: BigInt(CODE), length: 3 }, ReadMemoryReply);
    assert.deepEqual([...virt.data], [0xcc, 0xeb, 0xfd], 'paging off: virtual is physical');
    assert.deepEqual(await call('control.write-physical', WritePhysicalRequest, { gpa: BigInt(CODE), data: Buffer.of(0x90) }, StatusReply), { error: undefined });
    assert.equal(domain.mem.read8(CODE), 0x90);
    const regs = await call('control.get-registers', GetRegistersRequest, { vcpu: 1, msrs: [0xc0000080] }, GetRegistersReply);
    assert.equal(regs.registers!.rip, BigInt(CODE));
    assert.equal(regs.registers!.cs!.selector, 0x08);
    assert.deepEqual(regs.msrs, [{ index: 0xc0000080, value: 0n }], 'EFER, through the MSR interface');

    const err = async <A extends { error?: { code: ErrorCode } | undefined }>(p: Promise<A>) => (await p).error?.code;
    assert.equal(await err(call('control.read-physical', ReadPhysicalRequest, { gpa: 4n << 20n, length: 1 }, ReadMemoryReply)), ErrorCode.ERROR_CODE_OUT_OF_RANGE);
    assert.equal(await err(call('control.read-physical', ReadPhysicalRequest, { gpa: 0n, length: 0 }, ReadMemoryReply)), ErrorCode.ERROR_CODE_OUT_OF_RANGE);
    assert.equal(await err(call('control.read-physical', ReadPhysicalRequest, { domain: 'nope', gpa: 0n, length: 1 }, ReadMemoryReply)), ErrorCode.ERROR_CODE_UNKNOWN_DOMAIN);
    assert.equal(await err(call('control.get-registers', GetRegistersRequest, { vcpu: 7 }, GetRegistersReply)), ErrorCode.ERROR_CODE_UNKNOWN_VCPU);
    assert.equal(await err(call('control.get-registers', GetRegistersRequest, { vcpu: 0, msrs: [0x12345] }, GetRegistersReply)), ErrorCode.ERROR_CODE_INVALID_ARGUMENT);
    assert.equal(await err(call('control.read-virtual', ReadVirtualRequest, { gva: 0x8000_0000_0000n, length: 1, translation: { $case: 'vcpu', value: 0 } }, ReadMemoryReply)), ErrorCode.ERROR_CODE_OUT_OF_RANGE);
    const garbage = StatusReply.decode((await client.request('tsvmi.v1.dom.control.write-physical', Uint8Array.of(0x1a, 0xff), { timeout: 5_000 })).data);
    assert.equal(garbage.error?.code, ErrorCode.ERROR_CODE_INVALID_ARGUMENT);
    assert.equal(await err(call('control.resume', ResumeRequest, {}, StatusReply)), ErrorCode.ERROR_CODE_INVALID_ARGUMENT, 'not paused');
    await bridge.close();
  });

  it('writes registers, MSRs and virtual memory, and injects events, refusing what a vCPU could not take', async () => {
    const { domain, bridge } = await serve();
    const err = async (p: Promise<StatusReply>) => (await p).error?.code;
    const set = (q: Partial<SetRegistersRequest>) => call('control.set-registers', SetRegistersRequest, { vcpu: 0, ...q }, StatusReply);
    assert.deepEqual(await set({ registers: RegisterUpdate.fromPartial({ rbx: 0x1234n, rip: BigInt(CODE + 1) }), msrs: [{ index: 0xc0000080, value: 1n }] }), { error: undefined });
    const regs = await call('control.get-registers', GetRegistersRequest, { vcpu: 0, msrs: [0xc0000080] }, GetRegistersReply);
    assert.equal(regs.registers!.rbx, 0x1234n);
    assert.equal(regs.registers!.rip, BigInt(CODE + 1));
    assert.equal(regs.msrs[0]!.value & 1n, 1n, 'EFER.SCE written');
    assert.equal(await err(set({ registers: RegisterUpdate.fromPartial({ rbx: 5n, rip: 0x8000_0000_0000n }) })), ErrorCode.ERROR_CODE_INVALID_ARGUMENT);
    assert.equal(await err(set({ registers: RegisterUpdate.fromPartial({ rbx: 5n, cr0: 0x80000010n }) })), ErrorCode.ERROR_CODE_INVALID_ARGUMENT, 'PG without PE');
    assert.equal(await err(set({ registers: RegisterUpdate.fromPartial({ rbx: 5n, ds: { selector: 0x10, base: 0n, limit: 0xffffffff, attributes: 0x1c093 } }) })), ErrorCode.ERROR_CODE_INVALID_ARGUMENT, 'attributes beyond bit 11');
    assert.equal(domain.vcpus[0]!.cpu.lo[3], 0x1234, 'refused writes changed nothing');

    // System registers, through the VM-entry checks: a CR3, DR7 with a breakpoint enabled, a data segment.
    const system = RegisterUpdate.fromPartial({ cr3: 0x5000n, dr0: 0x30000n, dr7: 0x3n, ds: { selector: 0x23, base: 0x1000n, limit: 0xfffff, attributes: 0xcf3 }, idtr: { base: 0x11000n, limit: 0xff } });
    assert.deepEqual(await set({ registers: system }), { error: undefined });
    const after = (await call('control.get-registers', GetRegistersRequest, { vcpu: 0 }, GetRegistersReply)).registers!;
    assert.deepEqual([after.cr3, after.dr0, after.dr7 & 0xffn, after.ds, after.idtr], [0x5000n, 0x30000n, 0x3n, system.ds, system.idtr]);
    assert.equal(after.cs!.attributes, 0xc9b, 'flat 32-bit code (G, D, P, S, type 0xb) in the SVM attribute layout');
    assert.equal(domain.vcpus[0]!.cpu.cpl, 0, 'CPL follows SS.DPL, which did not change');

    const wrote = await call('control.write-virtual', WriteVirtualRequest, { translation: { $case: 'vcpu', value: 0 }, gva: BigInt(CODE + 3), data: Buffer.of(0xf4) }, StatusReply);
    assert.deepEqual(wrote, { error: undefined });
    assert.equal(domain.mem.read8(CODE + 3), 0xf4);

    const inject = (q: Partial<InjectRequest>) => call('control.inject', InjectRequest, { vcpu: 1, ...q }, StatusReply);
    assert.equal(await err(inject({ vector: 14, type: EventType.EVENT_TYPE_HW_EXCEPTION })), ErrorCode.ERROR_CODE_INVALID_ARGUMENT, '#PF needs an error code');
    assert.equal(await err(inject({ vector: 3, type: EventType.EVENT_TYPE_NMI })), ErrorCode.ERROR_CODE_INVALID_ARGUMENT);
    assert.equal(await err(inject({ vector: 3, type: EventType.EVENT_TYPE_SW_EXCEPTION })), ErrorCode.ERROR_CODE_INVALID_ARGUMENT, 'no instruction length');
    assert.deepEqual(await inject({ vector: 6, type: EventType.EVENT_TYPE_HW_EXCEPTION }), { error: undefined });
    assert.equal(await err(inject({ vector: 6, type: EventType.EVENT_TYPE_HW_EXCEPTION })), ErrorCode.ERROR_CODE_INVALID_ARGUMENT, 'one pending event at a time');
    // The guest's IDT has only #BP: the injected #UD escalates to a triple fault on vCPU 1
    // at VM entry, before it runs a single instruction (SDM Vol. 3C §26.6: injection
    // happens as part of entry, and a delivery that fails is handled as in the guest).
    const o = await domain.run(100_000);
    assert.equal(o.kind, 'crash');
    assert.equal(o.kind === 'crash' && o.crash.vcpu, 1);
    assert.equal(o.kind === 'crash' && o.crash.rip, CODE);
    assert.equal(o.kind === 'crash' && o.crash.icount, 0);
    assert.equal(o.kind === 'crash' && o.crash.vector, 6, JSON.stringify(o.kind === 'crash' && o.crash));
    await bridge.close();
  });

  it('configures the monitor remotely, pauses and resumes the domain', async () => {
    const { domain, monitor, bridge } = await serve();
    const events = client.subscribe(subjects('dom').allEvents, { max: 2 });
    await client.flush();
    const status = await call('control.set-monitor-config', SetMonitorConfigRequest, {
      config: { reasons: [{ reason: PbReason.REASON_SOFTWARE_BREAKPOINT, enabled: true, sync: false, onChangeOnly: false, indexes: [] }], includeEmulated: false },
    }, StatusReply);
    assert.deepEqual(status, { error: undefined });
    const more = await call('control.set-monitor-config', SetMonitorConfigRequest, {
      config: { reasons: [{ reason: PbReason.REASON_CPUID, enabled: true, sync: true, onChangeOnly: false, indexes: [] }, { reason: PbReason.REASON_CPUID, enabled: false, sync: false, onChangeOnly: false, indexes: [] }], includeEmulated: false },
    }, StatusReply);
    assert.deepEqual(more, { error: undefined });
    assert.deepEqual(Object.keys(monitor.currentConfig()), ['software-breakpoint'], 'reasons not listed keep their settings; a later entry disables');
    assert.deepEqual(await call('control.pause', PauseRequest, {}, StatusReply), { error: undefined });
    assert.equal((await call('info', DomainInfoRequest, {}, DomainInfoReply)).state, DomainState.DOMAIN_STATE_PAUSED);
    const running = domain.runForever(20_000);
    assert.deepEqual(await call('control.resume', ResumeRequest, {}, StatusReply), { error: undefined });
    const got: MonitorEvent[] = [];
    for await (const m of events) got.push(MonitorEvent.decode(m.data));
    assert.equal(got[0]!.reason?.$case, 'softwareBreakpoint');
    assert.equal((await running).kind, 'limit');
    assert.ok(monitor.eventsByVcpu.reduce((a, b) => a + b) >= 2);
    const unsupported = await call('control.set-monitor-config', SetMonitorConfigRequest, {
      config: { reasons: [{ reason: 99 as PbReason, enabled: true, sync: true, onChangeOnly: false, indexes: [] }], includeEmulated: false },
    }, StatusReply);
    assert.equal(unsupported.error?.code, ErrorCode.ERROR_CODE_UNSUPPORTED);
    for (const [reason, indexes] of [[PbReason.REASON_CPUID, [0]], [PbReason.REASON_WRITE_CTRLREG, [2]]] as const) {
      const bad = await call('control.set-monitor-config', SetMonitorConfigRequest, {
        config: { reasons: [{ reason, enabled: true, sync: true, onChangeOnly: false, indexes: [...indexes] }], includeEmulated: false },
      }, StatusReply);
      assert.equal(bad.error?.code, ErrorCode.ERROR_CODE_INVALID_ARGUMENT, bad.error?.message);
    }
    await bridge.close();
  });
});
