/** decodeSyscall and syscallTable: events at the SYSCALL entry/exit become paired call/return records. */
import assert from 'node:assert/strict';
import { concat } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { VmiEvent } from '../../../src/introspect/event.js';
import { decodeSyscall, syscallTable, type SyscallRecord } from '../../../src/introspect/operators/decode-syscall.js';
import { vmiEvent } from '../../support/vmi-events.js';

// The shape of guests/build/os/offsets.json (a build output, so copied here rather than read).
const OFFSETS = {
  syscall_entry: 'syscall_entry',
  syscall_exit: 'syscall_exit',
  syscalls: { write: 0, getpid: 1, yield: 2, sleep: 3, exit: 4, spawn: 5, wait: 6, watch: 7, getcpu: 8, ticks: 9 },
  symbols: { syscall_entry: '0xffffffff80104f83', syscall_exit: '0xffffffff80104fcd', switch_to: '0xffffffff80104ffc' },
};
const TABLE = syscallTable(OFFSETS);
const ENTRY = 0xffffffff80104f83n, EXIT = 0xffffffff80104fcdn;
const A = 0x1000n, B = 0x2000n; // two processes' CR3s

const enter = (vcpu: number, cr3: bigint, nr: bigint, args: [bigint, bigint, bigint], seq: number): VmiEvent =>
  vmiEvent({ vcpu, seq, rip: ENTRY, cr3, rax: nr, rdi: args[0], rsi: args[1], rdx: args[2] });
const leave = (vcpu: number, cr3: bigint, rax: bigint, seq: number): VmiEvent => vmiEvent({ vcpu, seq, rip: EXIT, cr3, rax });

describe('syscallTable', () => {
  it('reads the entry and exit addresses and inverts the numbers', () => {
    assert.equal(TABLE.entry, ENTRY);
    assert.equal(TABLE.exit, EXIT);
    assert.equal(TABLE.names.size, 10);
    assert.equal(TABLE.names.get(0), 'write');
    assert.equal(TABLE.names.get(4), 'exit');
    assert.equal(TABLE.names.get(9), 'ticks');
  });

  it('follows offsets.json\'s syscall_entry/syscall_exit to the symbols they name', () => {
    const t = syscallTable({ ...OFFSETS, syscall_entry: 'switch_to', syscall_exit: 'switch_to' });
    assert.equal(t.entry, 0xffffffff80104ffcn);
    assert.equal(t.exit, 0xffffffff80104ffcn);
  });

  it('refuses a missing or malformed symbol', () => {
    assert.throws(() => syscallTable({ symbols: { syscall_entry: '0x10' }, syscalls: {} }), /syscall_exit is missing/);
    assert.throws(() => syscallTable({ symbols: { syscall_entry: '', syscall_exit: '0x10' }, syscalls: {} }), /syscall_entry is not a hex address/);
  });
});

describe('decodeSyscall', () => {
  let ts: TestScheduler;
  beforeEach(() => {
    ts = new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
  });

  it('turns an entry and its exit into a call and a return with the call\'s number, name and arguments', () => {
    const v = { a: enter(0, A, 0n, [1n, 0x400100n, 6n], 10), z: leave(0, A, 6n, 11) };
    const args = [1n, 0x400100n, 6n] as const;
    const out: Record<string, SyscallRecord> = {
      c: { kind: 'call', vcpu: 0, dtb: A, nr: 0, name: 'write', args, seq: 10n },
      r: { kind: 'return', vcpu: 0, dtb: A, nr: 0, name: 'write', args, ret: 6n, seq: 11n, callSeq: 10n },
    };
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a--z|', v).pipe(decodeSyscall(TABLE))).toBe('c--r|', out);
    });
  });

  it('pairs two vCPUs\' calls in progress at once by process, whichever returns first', () => {
    const v = {
      a: enter(0, A, 3n, [5n, 0n, 0n], 1), // sleep(5) on vCPU 0
      b: enter(1, B, 1n, [0n, 0n, 0n], 2), // getpid() on vCPU 1
      y: leave(1, B, 7n, 3),
      z: leave(0, A, 0n, 4),
    };
    const out: Record<string, SyscallRecord> = {
      a: { kind: 'call', vcpu: 0, dtb: A, nr: 3, name: 'sleep', args: [5n, 0n, 0n], seq: 1n },
      b: { kind: 'call', vcpu: 1, dtb: B, nr: 1, name: 'getpid', args: [0n, 0n, 0n], seq: 2n },
      y: { kind: 'return', vcpu: 1, dtb: B, nr: 1, name: 'getpid', args: [0n, 0n, 0n], ret: 7n, seq: 3n, callSeq: 2n },
      z: { kind: 'return', vcpu: 0, dtb: A, nr: 3, name: 'sleep', args: [5n, 0n, 0n], ret: 0n, seq: 4n, callSeq: 1n },
    };
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a-b-y-z|', v).pipe(decodeSyscall(TABLE))).toBe('a-b-y-z|', out);
    });
  });

  it('pairs a call that blocked on one vCPU and returned on another', () => {
    const v = { a: enter(0, A, 2n, [0n, 0n, 0n], 1), z: leave(1, A, 0n, 2) };
    const out: Record<string, SyscallRecord> = {
      a: { kind: 'call', vcpu: 0, dtb: A, nr: 2, name: 'yield', args: [0n, 0n, 0n], seq: 1n },
      z: { kind: 'return', vcpu: 1, dtb: A, nr: 2, name: 'yield', args: [0n, 0n, 0n], ret: 0n, seq: 2n, callSeq: 1n },
    };
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('az|', v).pipe(decodeSyscall(TABLE))).toBe('az|', out);
    });
  });

  it('ignores an exit with no call pending (the trace began mid-call), and a second exit of one call', () => {
    const v = { x: leave(0, B, 0n, 1), a: enter(1, A, 1n, [0n, 0n, 0n], 2), z: leave(1, A, 3n, 3), w: leave(1, A, 3n, 4) };
    const out: Record<string, SyscallRecord> = {
      a: { kind: 'call', vcpu: 1, dtb: A, nr: 1, name: 'getpid', args: [0n, 0n, 0n], seq: 2n },
      z: { kind: 'return', vcpu: 1, dtb: A, nr: 1, name: 'getpid', args: [0n, 0n, 0n], ret: 3n, seq: 3n, callSeq: 2n },
    };
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('xazw|', v).pipe(decodeSyscall(TABLE))).toBe('-az-|', out);
    });
  });

  it('names an unknown number sys_N and reads RAX at exit as signed', () => {
    const v = {
      a: enter(0, A, 42n, [0n, 0n, 0n], 1), z: leave(0, A, 0xffffffffffffffdan, 2), // -ENOSYS (38)
      b: enter(0, B, 0n, [3n, 0n, 0n], 3), y: leave(0, B, 0xffffffffffffffffn, 4), // -1
    };
    const out: Record<string, SyscallRecord> = {
      a: { kind: 'call', vcpu: 0, dtb: A, nr: 42, name: 'sys_42', args: [0n, 0n, 0n], seq: 1n },
      z: { kind: 'return', vcpu: 0, dtb: A, nr: 42, name: 'sys_42', args: [0n, 0n, 0n], ret: -38n, seq: 2n, callSeq: 1n },
      b: { kind: 'call', vcpu: 0, dtb: B, nr: 0, name: 'write', args: [3n, 0n, 0n], seq: 3n },
      y: { kind: 'return', vcpu: 0, dtb: B, nr: 0, name: 'write', args: [3n, 0n, 0n], ret: -1n, seq: 4n, callSeq: 3n },
    };
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('azby|', v).pipe(decodeSyscall(TABLE))).toBe('azby|', out);
    });
  });

  it('keeps no call to exit pending: it never returns, so a later exit of that CR3 is not its return', () => {
    const v = { a: enter(0, A, 4n, [0n, 0n, 0n], 1), z: leave(0, A, 0n, 2) };
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('az|', v).pipe(decodeSyscall(TABLE))).toBe('a-|', {
        a: { kind: 'call', vcpu: 0, dtb: A, nr: 4, name: 'exit', args: [0n, 0n, 0n], seq: 1n },
      });
    });
  });

  it('looks at RIP only: other addresses are ignored, any reason at entry or exit counts', () => {
    const elsewhere = vmiEvent({ rip: ENTRY + 1n, rax: 1 });
    const mem = vmiEvent({ reason: 'memAccess', rip: 0x400000, gla: ENTRY, rax: 1 });
    const stepIn = vmiEvent({ reason: 'singleStep', rip: ENTRY, cr3: A, rax: 9, seq: 7 });
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<VmiEvent>('ems|', { e: elsewhere, m: mem, s: stepIn }).pipe(decodeSyscall(TABLE))).toBe('--s|', {
        s: { kind: 'call', vcpu: 0, dtb: A, nr: 9, name: 'ticks', args: [0n, 0n, 0n], seq: 7n },
      });
    });
  });

  it('keeps state per subscription: a second run of a cold source does not see the first one\'s pending call', () => {
    // The exit comes first, so it pairs only if the previous run's call leaked into this one.
    const v = { z: leave(0, A, 0n, 1), a: enter(0, A, 1n, [0n, 0n, 0n], 2) };
    const c: SyscallRecord = { kind: 'call', vcpu: 0, dtb: A, nr: 1, name: 'getpid', args: [0n, 0n, 0n], seq: 2n };
    ts.run(({ cold, expectObservable }) => {
      const decoded = cold('za|', v).pipe(decodeSyscall(TABLE));
      expectObservable(concat(decoded, decoded)).toBe('-c-c|', { c });
    });
  });

  it('keeps state per subscription: overlapping subscriptions each pair their own calls', () => {
    // With shared state the first subscription's exit (frame 2) would consume the call the
    // second one entered at frame 1, leaving the second's exit (frame 3) unpaired.
    const v = { a: enter(0, A, 1n, [0n, 0n, 0n], 1), z: leave(0, A, 5n, 2) };
    const out: Record<string, SyscallRecord> = {
      c: { kind: 'call', vcpu: 0, dtb: A, nr: 1, name: 'getpid', args: [0n, 0n, 0n], seq: 1n },
      r: { kind: 'return', vcpu: 0, dtb: A, nr: 1, name: 'getpid', args: [0n, 0n, 0n], ret: 5n, seq: 2n, callSeq: 1n },
    };
    ts.run(({ cold, expectObservable }) => {
      const decoded = cold('a-z|', v).pipe(decodeSyscall(TABLE));
      expectObservable(decoded).toBe('c-r|', out);
      expectObservable(decoded, '-^').toBe('-c-r|', out);
    });
  });
});
