/**
 * Interop: a MonitorEvent with each reason, encoded by the generated
 * TypeScript, decodes with `protoc --decode` and the .proto files alone —
 * what a plain NATS subscriber in another language does (issue 5, "Interop").
 * Also checks uint64 fields above 2^53 stay exact both ways.
 */
import assert from 'node:assert/strict';
import { EventType } from '../../src/generated/tsvmi/v1/common.js';
import { DescriptorInstruction, EventFlag, MonitorEvent } from '../../src/generated/tsvmi/v1/event.js';
import { Registers, Segment } from '../../src/generated/tsvmi/v1/registers.js';
import { parseText, protocDecode, type TextMessage } from '../support/protoc.js';

const KERNEL_RIP = 0xffffffff81000123n; // above 2^53: a lossy number would show here

function segment(selector: number, attributes: number): Segment {
  return { selector, base: 0n, limit: 0xffffffff, attributes };
}

function registers(): Registers {
  return Registers.fromPartial({
    rax: 1n, rbx: 2n, rcx: 3n, rdx: 4n, rsp: 0xffffc90000003f00n, rbp: 6n, rsi: 7n, rdi: 8n,
    r8: 9n, r9: 10n, r10: 11n, r11: 12n, r12: 13n, r13: 14n, r14: 15n, r15: 0xffffffffffffffffn,
    rip: KERNEL_RIP, rflags: 0x202n, cr0: 0x80050033n, cr2: 0n, cr3: 0x1000n, cr4: 0x6b0n,
    dr6: 0xffff0ff0n, dr7: 0x400n, efer: 0xd01n,
    es: segment(0x18, 0xc93), cs: segment(0x10, 0xa9b), ss: segment(0x18, 0xc93),
    ds: segment(0x18, 0xc93), fs: segment(0, 0x1c000), gs: segment(0, 0x1c000),
    fsBase: 0x7f0000001000n, gsBase: 0xffff888007c00000n, kernelGsBase: 0x7f0000002000n,
    gdtr: { base: 0xfffffe0000001000n, limit: 0x7f }, idtr: { base: 0xfffffe0000000000n, limit: 0xfff },
  });
}

/** Every reason with its details, and what protoc must print for it (field name, then text values). */
const cases: { reason: MonitorEvent['reason']; field: string; expect: Record<string, string> }[] = [
  {
    reason: { $case: 'softwareBreakpoint', value: { gfn: 0x1000n, gla: KERNEL_RIP, instructionLength: 1, type: EventType.EVENT_TYPE_SW_EXCEPTION } },
    field: 'software_breakpoint',
    expect: { gfn: '4096', gla: KERNEL_RIP.toString(), instruction_length: '1', type: 'EVENT_TYPE_SW_EXCEPTION' },
  },
  { reason: { $case: 'singleStep', value: { gfn: 0x1001n } }, field: 'single_step', expect: { gfn: '4097' } },
  {
    reason: { $case: 'debugException', value: { gfn: 0x1002n, pendingDbg: 0x4001n, instructionLength: 1, type: EventType.EVENT_TYPE_PRIV_SW_EXCEPTION } },
    field: 'debug_exception',
    expect: { gfn: '4098', pending_dbg: String(0x4001), instruction_length: '1', type: 'EVENT_TYPE_PRIV_SW_EXCEPTION' },
  },
  // An empty message still shows as `guest_request {\n}`: the case survives.
  { reason: { $case: 'guestRequest', value: {} }, field: 'guest_request', expect: {} },
  {
    reason: { $case: 'cpuid', value: { leaf: 0x40000000, subleaf: 1, instructionLength: 2 } },
    field: 'cpuid',
    expect: { leaf: String(0x40000000), subleaf: '1', instruction_length: '2' },
  },
  {
    reason: { $case: 'writeCtrlreg', value: { index: 3, oldValue: 0x1000n, newValue: 0x8000000000002000n } },
    field: 'write_ctrlreg',
    expect: { index: '3', old_value: '4096', new_value: 0x8000000000002000n.toString() },
  },
  {
    reason: { $case: 'movToMsr', value: { index: 0xc0000082, oldValue: 0n, newValue: 0xffffffff81a00000n } },
    field: 'mov_to_msr',
    expect: { index: String(0xc0000082), new_value: 0xffffffff81a00000n.toString() },
  },
  {
    reason: { $case: 'ioInstruction', value: { port: 0x3f8, size: 1, in: false, string: true, rep: true } },
    field: 'io_instruction',
    expect: { port: String(0x3f8), size: '1', string: 'true', rep: 'true' },
  },
  {
    reason: { $case: 'descriptorAccess', value: { instruction: DescriptorInstruction.DESCRIPTOR_INSTRUCTION_LIDT, instructionLength: 3 } },
    field: 'descriptor_access',
    expect: { instruction: 'DESCRIPTOR_INSTRUCTION_LIDT', instruction_length: '3' },
  },
  {
    reason: { $case: 'interrupt', value: { vector: 14, type: EventType.EVENT_TYPE_HW_EXCEPTION, errorCode: 0, cr2: 0xdead000n } },
    field: 'interrupt',
    // error_code 0 is present (proto3 optional), so protoc prints it.
    expect: { vector: '14', type: 'EVENT_TYPE_HW_EXCEPTION', error_code: '0', cr2: String(0xdead000) },
  },
  {
    reason: { $case: 'memAccess', value: { gfn: 0x7c00n, offset: 0x10n, gla: 0xffff888007c00010n, read: false, write: true, execute: false } },
    field: 'mem_access',
    expect: { gfn: String(0x7c00), offset: '16', gla: 0xffff888007c00010n.toString(), write: 'true' },
  },
];

describe('proto: MonitorEvent decodes with protoc and the .proto files alone', () => {
  let seq = 0n;
  for (const c of cases) {
    it(`${c.field}`, () => {
      seq += 1n;
      const event: MonitorEvent = {
        domain: 'demo', vcpu: 3, seq: seq + 0x100000000n, flags: EventFlag.EVENT_FLAG_VCPU_PAUSED,
        guestTime: 123456789012n, hostTime: 1_700_000_000_123_456_789n, regs: registers(), reason: c.reason,
      };
      const bytes = MonitorEvent.encode(event).finish();

      const text = parseText(protocDecode('tsvmi.v1.MonitorEvent', 'tsvmi/v1/event.proto', bytes));
      assert.equal(text.domain, '"demo"');
      assert.equal(text.vcpu, '3');
      assert.equal(text.seq, (seq + 0x100000000n).toString());
      assert.equal(text.flags, '1'); // VCPU_PAUSED is bit 0, as in Xen
      assert.equal(text.guest_time, '123456789012');
      assert.equal(text.host_time, '1700000000123456789');
      const regs = text.regs as TextMessage;
      assert.equal(regs.rip, KERNEL_RIP.toString());
      assert.equal(regs.r15, '18446744073709551615');
      assert.equal(regs.cr0, String(0x80050033));
      assert.equal(regs.efer, String(0xd01));
      assert.equal(regs.kernel_gs_base, String(0x7f0000002000));
      assert.deepEqual(regs.cs, { selector: '16', limit: '4294967295', attributes: String(0xa9b) });
      assert.deepEqual(regs.idtr, { base: 0xfffffe0000000000n.toString(), limit: String(0xfff) });
      // Exactly one reason, with the expected details (fields at their zero value are not on the wire).
      const reasons = cases.map((k) => k.field).filter((f) => f in text);
      assert.deepEqual(reasons, [c.field]);
      assert.deepEqual(text[c.field], c.expect);

      // And the generated code reads back exactly what it wrote.
      assert.deepEqual(MonitorEvent.decode(bytes), event);
    });
  }
});
