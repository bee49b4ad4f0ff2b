/**
 * System and miscellaneous instructions needed by user-level and freestanding
 * code: HLT, CPUID, RDTSC/RDTSCP, fences, CLFLUSH, PREFETCH, UD2, IN/OUT, INT3
 * and the flag instructions (SDM Vol. 2, each by name).
 */
import type { Cpu } from '../cpu.js';
import { StopReason } from '../cpu.js';
import { cpuid } from '../cpuid.js';
import type { OpcodeTable, RowSpec } from '../decode/table.js';
import { byRegField, group } from '../decode/table.js';
import { GuestFault, Vector, gp, ud } from '../fault.js';
import { getCF, readRflags, setStatusFlags } from '../flags.js';
import type { Exec, Insn } from '../insn.js';
import { InterceptKind } from '../intercept.js';
import { ioBreakpoints } from '../debug.js';
import { Flag, Reg, TWO32 } from '../regs.js';

const iopl = (c: Cpu): number => (c.rflags >> 12) & 3;

/** Time-stamp counter: virtual time (retired instructions and idle ticks), so that runs are reproducible. */
const tsc = (c: Cpu): number => c.time() + c.tscOffset;

function setEdxEax(c: Cpu, v: number): void {
  c.lo[Reg.RAX] = v % TWO32 | 0; c.hi[Reg.RAX] = 0;
  c.lo[Reg.RDX] = Math.floor(v / TWO32) | 0; c.hi[Reg.RDX] = 0;
}

/** HLT: the vCPU waits for an interrupt, NMI or reset; RIP is already past the HLT (SDM Vol. 2 "HLT"). */
const hlt: Exec = (c, i) => {
  if (c.cpl !== 0) gp(0);
  if (c.intercepts.hlt) c.intercept({ kind: InterceptKind.HLT, rip: i.addr, length: i.len });
  c.requestStop(StopReason.HALT);
};

const cpuidExec: Exec = (c, i) => {
  if (c.intercepts.cpuid) c.intercept({ kind: InterceptKind.CPUID, rip: i.addr, length: i.len, cpuid: { leaf: c.lo[Reg.RAX]! >>> 0, subleaf: c.lo[Reg.RCX]! >>> 0 } });
  const [a, b, cx, d] = cpuid(c, c.lo[Reg.RAX]!, c.lo[Reg.RCX]!);
  c.lo[Reg.RAX] = a; c.lo[Reg.RBX] = b; c.lo[Reg.RCX] = cx; c.lo[Reg.RDX] = d;
  c.hi[Reg.RAX] = c.hi[Reg.RBX] = c.hi[Reg.RCX] = c.hi[Reg.RDX] = 0;
};

const rdtsc: Exec = (c) => {
  if ((c.cr4 & 4 /* CR4.TSD */) && c.cpl !== 0) gp(0);
  setEdxEax(c, tsc(c));
};

const rdtscp: Exec = (c) => {
  if ((c.cr4 & 4) && c.cpl !== 0) gp(0);
  setEdxEax(c, tsc(c));
  c.lo[Reg.RCX] = c.tscAux; c.hi[Reg.RCX] = 0;
};

/** I/O privilege: CPL <= IOPL, else #GP(0) (the TSS I/O bitmap is not modelled yet). */
function checkIo(c: Cpu): void {
  if (c.cpl > iopl(c)) gp(0);
}

function ioSize(i: Insn): number {
  return i.opcode & 1 ? (i.opsize === 2 ? 2 : 4) : 1;
}

function inOut(i: Insn, out: boolean, immPort: boolean): Exec {
  const size = ioSize(i);
  return (c, i) => {
    checkIo(c);
    const port = immPort ? i.imm & 0xff : c.lo[Reg.RDX]! & 0xffff;
    if (c.intercepts.io) c.intercept({ kind: InterceptKind.IO, rip: i.addr, length: i.len, io: { port, size, in: !out, string: false, rep: false } });
    if (c.dr[7]! & 0xff) c.dataHits |= ioBreakpoints(c, port, size);
    if (out) c.io.portOut(port, size, size === 4 ? c.lo[Reg.RAX]! : c.lo[Reg.RAX]! & (size === 1 ? 0xff : 0xffff));
    else {
      const v = c.io.portIn(port, size);
      if (size === 4) { c.lo[Reg.RAX] = v; c.hi[Reg.RAX] = 0; }
      else if (size === 2) c.lo[Reg.RAX] = (c.lo[Reg.RAX]! & ~0xffff) | (v & 0xffff);
      else c.lo[Reg.RAX] = (c.lo[Reg.RAX]! & ~0xff) | (v & 0xff);
    }
  };
}

const int3: Exec = () => { throw new GuestFault(Vector.BP, 0, 0, true); };

export const RDTSCP: RowSpec = { m: 'RDTSCP', o: '', compile: () => rdtscp };

const flagOp = (f: (c: Cpu) => void): ((i: Insn) => Exec) => () => (c) => f(c);

/** STI: if IF was clear, interrupts stay blocked until after the next instruction (SDM Vol. 2 "STI"). */
function sti(c: Cpu): void {
  if (c.cpl > iopl(c)) gp(0);
  if ((c.rflags & Flag.IF) === 0) {
    c.inhibitNext = true;
    c.setFlag(Flag.IF, true);
    c.kick();
  }
}

const setCF = (c: Cpu, v: number): void => setStatusFlags(c, (readRflags(c) & ~Flag.CF) | v);

const nop: Exec = () => {};
/** CLFLUSH faults like a byte read of its operand (SDM Vol. 2 "CLFLUSH"). */
const clflush = (): Exec => (c, i) => { c.mmu.read8(i.ea!(c, i)); };

export function register(t: OpcodeTable): void {
  t.one(0xf4, { m: 'HLT', o: '', ends: true, compile: () => hlt });
  t.one(0xcc, { m: 'INT3', o: '', ends: true, compile: () => int3 });
  t.two(0xa2, { m: 'CPUID', o: '', compile: () => cpuidExec });
  t.two(0x31, { m: 'RDTSC', o: '', compile: () => rdtsc });
  t.two(0x0b, { m: 'UD2', o: '', ends: true, compile: () => () => ud() });
  t.two(0x18, { m: 'PREFETCH', o: 'Ev', compile: () => nop });
  t.two(0x0d, { m: 'PREFETCHW', o: 'Ev', compile: () => nop });

  const fences: (RowSpec | undefined)[] = [];
  fences[5] = { m: 'LFENCE', o: '', compile: () => nop };
  fences[6] = { m: 'MFENCE', o: '', compile: () => nop };
  fences[7] = { m: 'SFENCE', o: '', compile: () => nop };
  const g15: (RowSpec | undefined)[] = [];
  g15[7] = { m: 'CLFLUSH', o: 'Mb', memOnly: true, compile: clflush };
  t.two(0xae, group(g15, byRegField(fences)));


  t.one(0xe4, { m: 'IN', o: 'AL,Ib', compile: (i) => inOut(i, false, true) });
  t.one(0xe5, { m: 'IN', o: 'eAX,Ib', compile: (i) => inOut(i, false, true) });
  t.one(0xe6, { m: 'OUT', o: 'Ib,AL', compile: (i) => inOut(i, true, true) });
  t.one(0xe7, { m: 'OUT', o: 'Ib,eAX', compile: (i) => inOut(i, true, true) });
  t.one(0xec, { m: 'IN', o: 'AL,DX', compile: (i) => inOut(i, false, false) });
  t.one(0xed, { m: 'IN', o: 'eAX,DX', compile: (i) => inOut(i, false, false) });
  t.one(0xee, { m: 'OUT', o: 'DX,AL', compile: (i) => inOut(i, true, false) });
  t.one(0xef, { m: 'OUT', o: 'DX,eAX', compile: (i) => inOut(i, true, false) });

  t.one(0xf8, { m: 'CLC', o: '', compile: flagOp((c) => setCF(c, 0)) });
  t.one(0xf9, { m: 'STC', o: '', compile: flagOp((c) => setCF(c, 1)) });
  t.one(0xf5, { m: 'CMC', o: '', compile: flagOp((c) => setCF(c, getCF(c) ^ 1)) });
  // CLI/STI need CPL <= IOPL (protected mode without VME/PVI, SDM Vol. 2 "CLI", "STI").
  // STI's one-instruction interrupt shadow matters once interrupts can be delivered.
  t.one(0xfa, { m: 'CLI', o: '', compile: flagOp((c) => { if (c.cpl > iopl(c)) gp(0); c.setFlag(Flag.IF, false); }) });
  t.one(0xfb, { m: 'STI', o: '', compile: flagOp(sti) });
  t.one(0xfc, { m: 'CLD', o: '', compile: flagOp((c) => c.setFlag(Flag.DF, false)) });
  t.one(0xfd, { m: 'STD', o: '', compile: flagOp((c) => c.setFlag(Flag.DF, true)) });
  // LAHF/SAHF move SF ZF AF PF CF through AH (SDM Vol. 2 "LAHF", "SAHF").
  t.one(0x9f, { m: 'LAHF', o: '', compile: flagOp((c) => { c.lo[0] = (c.lo[0]! & ~0xff00) | ((readRflags(c) & 0xd5 | 2) << 8); }) });
  t.one(0x9e, { m: 'SAHF', o: '', compile: flagOp((c) => setStatusFlags(c, (readRflags(c) & ~0xd5) | ((c.lo[0]! >> 8) & 0xd5))) });
}
