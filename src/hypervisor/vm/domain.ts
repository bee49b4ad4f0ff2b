/**
 * A domain: guest RAM, N vCPUs, the PC platform, and the deterministic
 * scheduler that runs them in one Node thread, yielding to the event loop
 * between slices so that sockets and timers are served while guests run.
 */
import { SvmPersonality } from '../arch/svm.js';
import { VmxPersonality } from '../arch/vmx.js';
import { CodeCache } from '../cpu/code-cache.js';
import type { Vendor } from '../cpu/cpuid.js';
import { Vector } from '../cpu/fault.js';
import { opcodeTable } from '../cpu/ops/index.js';
import { REG_NAMES } from '../cpu/regs.js';
import { PhysicalMemory } from '../mmu/physical.js';
import { Vcpu, VcpuState, type CrashReport } from '../vcpu/vcpu.js';
import { loadKernel, type BootProtocol } from './loader.js';
import { Platform } from './platform.js';
import { RoundResult, Scheduler } from './scheduler.js';

export interface DomainOptions {
  name?: string;
  vcpus?: number;
  memMiB?: number;
  vendor?: Vendor;
  serialOut?: (byte: number) => void;
  /** Ticks per scheduling round. */
  quantum?: number;
}

export type RunOutcome =
  | { kind: 'exit'; status: number; instructions: number }
  | { kind: 'idle'; instructions: number }
  /** Every vCPU that could run is paused: run() again after unpausing. */
  | { kind: 'paused'; instructions: number }
  | { kind: 'crash'; crash: CrashReport; registers: string; instructions: number }
  | { kind: 'limit'; instructions: number };

/** Wall-clock work between yields to the event loop, in retired instructions. */
const YIELD_EVERY = 1 << 21;
/** The PCI hole starts at 3 GiB on a PC; RAM stays below it. */
export const MAX_MEM_MIB = 3072;

const VECTOR_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Vector).map(([k, v]) => [v, `#${k}`]));
export const vectorName = (v: number): string => VECTOR_NAMES[v] ?? `vector ${v}`;

export class Domain {
  readonly name: string;
  readonly mem: PhysicalMemory;
  readonly vcpus: Vcpu[] = [];
  readonly platform: Platform;
  readonly scheduler: Scheduler;
  exitStatus: number | undefined;
  protocol: BootProtocol | undefined;

  constructor(opts: DomainOptions = {}) {
    const mib = opts.memMiB ?? 64, n = opts.vcpus ?? 1;
    if (!Number.isInteger(mib) || mib < 2 || mib > MAX_MEM_MIB) throw new RangeError(`guest memory must be 2..${MAX_MEM_MIB} MiB, got ${mib}`);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new RangeError(`a domain has 1..64 vCPUs, got ${n}`);
    this.name = opts.name ?? 'domain';
    this.mem = new PhysicalMemory(mib << 20);
    this.platform = new Platform(this.mem, {
      cpus: n,
      serialOut: opts.serialOut ?? (() => {}),
      onExit: (status) => { this.exitStatus = status; this.scheduler.stopRequested = true; this.vcpus.forEach((v) => v.cpu.requestStop()); },
    });
    const code = new CodeCache(this.mem), table = opcodeTable();
    for (let id = 0; id < n; id++) {
      const v = new Vcpu(id, this.mem, table, code, this);
      v.cpu.vendor = opts.vendor ?? 'intel';
      v.setPersonality(v.cpu.vendor === 'amd' ? new SvmPersonality() : new VmxPersonality());
      v.cpu.vcpuCount = n;
      this.platform.attach(v);
      this.vcpus.push(v);
    }
    this.scheduler = new Scheduler(this.vcpus.map((vcpu, k) => ({ vcpu, timer: this.platform.apics[k] })), opts.quantum);
  }

  /**
   * Set a frame's second-level permissions (PageAccess bits; RWX lifts every
   * restriction), as Xen's xc_set_mem_access. Every vCPU's TLB is flushed so
   * that no cached translation outlives what it allowed.
   */
  setPageAccess(gfn: number, access: number): void {
    this.mem.access.set(gfn, access);
    for (const v of this.vcpus) v.cpu.mmu.tlb.flushAll();
  }

  /**
   * Inputs from outside, with the domain time at which they were applied: a run
   * is reproducible from its image and this log (DESIGN "The run loop").
   */
  readonly inputLog: { time: number; serial: Uint8Array }[] = [];

  /** Bytes typed at the serial console; they reach the guest at the next round boundary. */
  receiveSerial(bytes: Uint8Array): void {
    this.inputLog.push({ time: this.scheduler.time, serial: Uint8Array.from(bytes) });
    this.platform.uart.receive(bytes);
  }

  /**
   * Raise an NMI on one vCPU or on all of them, like `bhyvectl --assert-lapic-lvt=1
   * --cpu=N` (LINT1 is wired to NMI). Throws for a vCPU the domain does not have.
   */
  injectNmi(target: number | 'all'): void {
    const targets = target === 'all' ? this.vcpus : [this.vcpus[target]];
    if (targets.some((v) => v === undefined)) throw new RangeError(`domain ${this.name} has no vCPU ${target}`);
    for (const v of targets) {
      v!.stats.nmiInjected++;
      v!.trace.add(v!.cpu.icount, 'Injecting NMI');
      v!.nmi();
    }
  }

  private wake: (() => void) | undefined;
  private kicked = false;

  /** Something may let a paused vCPU run again (a reply, a resume): wake a waiting runForever(). */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  /**
   * Run like run(), but while every vCPU is paused (waiting for replies, or
   * paused by a controller) wait for kick() instead of returning: the loop of
   * a domain that serves introspection clients.
   */
  async runForever(maxInstructions = Infinity): Promise<Exclude<RunOutcome, { kind: 'paused' }>> {
    for (;;) {
      this.kicked = false;
      const o = await this.run(maxInstructions);
      if (o.kind !== 'paused') return o;
      if (!this.kicked) await new Promise<void>((resolve) => { this.wake = resolve; });
      this.wake = undefined;
    }
  }

  /**
   * Ask run() to give the event loop a turn at the next round boundary: whoever consumes
   * this domain's exits (a transport publishing events) gets to drain its buffers.
   */
  yieldSoon(): void {
    this.yieldRequested = true;
    this.scheduler.stopRequested = true;
  }

  private yieldRequested = false;

  /** Domain pause count (Xen's domain_pause): while non-zero no vCPU runs. */
  pauseCount = 0;

  pause(): void {
    this.pauseCount++;
    this.scheduler.stopRequested = true;
  }

  /** Undo one pause; throws if the domain was not paused (an unbalanced unpause is a caller bug). */
  unpause(): void {
    if (this.pauseCount === 0) throw new Error(`domain ${this.name} is not paused`);
    this.pauseCount--;
  }

  get bsp(): Vcpu {
    return this.vcpus[0]!;
  }

  /** Retired instructions over all vCPUs. */
  get instructions(): number {
    return this.vcpus.reduce((sum, v) => sum + v.cpu.icount, 0);
  }

  /**
   * Load a kernel (PVH or Multiboot; throws LoaderError for anything else).
   * The BSP starts at its entry; APs wait for INIT-SIPI-SIPI.
   */
  load(image: Uint8Array, opts: { cmdline?: string } = {}): void {
    this.protocol = loadKernel(this.bsp.cpu, this.mem, image, { rsdp: this.platform.rsdp, ...opts }).protocol;
    for (const ap of this.vcpus.slice(1)) ap.state = VcpuState.WAIT_SIPI;
  }

  /** Run until the guest exits, crashes, goes idle for good, or `maxInstructions` retire. */
  async run(maxInstructions = Infinity): Promise<RunOutcome> {
    let nextYield = this.instructions + YIELD_EVERY;
    for (;;) {
      const done = this.instructions;
      if (done >= maxInstructions) return { kind: 'limit', instructions: done };
      // Split what is left of the limit between the vCPUs that may run.
      const running = Math.max(1, this.vcpus.filter((v) => v.runnable).length);
      const r = this.scheduler.round(Math.ceil((maxInstructions - done) / running));
      if (this.exitStatus !== undefined) return { kind: 'exit', status: this.exitStatus, instructions: this.instructions };
      const dead = this.vcpus.find((v) => v.state === VcpuState.CRASHED);
      if (dead) return { kind: 'crash', crash: dead.crash!, registers: this.dumpRegisters(dead), instructions: this.instructions };
      // A paused vCPU (waiting for a reply, or paused by a client) may run again: that is not idleness.
      if ((r === RoundResult.NOTHING || r === RoundResult.IDLE) && this.vcpus.some((v) => v.paused && v.state !== VcpuState.CRASHED)) {
        return { kind: 'paused', instructions: this.instructions };
      }
      if (r === RoundResult.IDLE || r === RoundResult.NOTHING) return { kind: 'idle', instructions: this.instructions };
      // Yield to the event loop every so often, and at once when a vCPU waits for a reply to
      // one of its events, so that the reply can arrive. An in-process client answers from a
      // microtask: give it that chance first, which costs far less than a turn of the loop.
      const waiting = (): boolean => this.vcpus.some((v) => v.pendingExit !== undefined);
      if (waiting()) await Promise.resolve();
      if (this.instructions >= nextYield || waiting() || this.yieldRequested) {
        nextYield = this.instructions + YIELD_EVERY;
        this.yieldRequested = false;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }

  dumpRegisters(v: Vcpu = this.bsp): string {
    const c = v.cpu;
    const hex = (r: number): string => (c.hi[r]! >>> 0).toString(16).padStart(8, '0') + (c.lo[r]! >>> 0).toString(16).padStart(8, '0');
    const regs = REG_NAMES.map((n, r) => `${n.padStart(3)}=${hex(r)}`);
    const rows: string[] = [];
    for (let k = 0; k < 16; k += 4) rows.push(regs.slice(k, k + 4).join(' '));
    rows.push(`rip=${c.rip.toString(16)} rflags=${c.getRflags().toString(16)} cs=${c.segSel[1]!.toString(16)} cpl=${c.cpl} mode=${c.codeBits}-bit`);
    rows.push(`cr0=${c.cr0.toString(16)} cr2=${c.cr2.toString(16)} cr3=${c.cr3.toString(16)} cr4=${c.cr4.toString(16)} efer=${c.efer.toString(16)}`);
    return rows.join('\n');
  }
}
