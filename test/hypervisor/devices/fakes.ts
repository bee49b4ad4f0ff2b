/** Hand-made fakes for the device unit tests: a settable virtual clock, recording vCPU signals and IRQ lines. */
import { ApicRouter } from '../../../src/hypervisor/devices/ipi-router.js';
import type { IrqLine, VcpuSignals, VirtualClock } from '../../../src/hypervisor/devices/interrupts.js';
import { LocalApic } from '../../../src/hypervisor/devices/local-apic.js';

export class FakeClock implements VirtualClock {
  constructor(public t = 0) {}
  now(): number { return this.t; }
}

export class RecordingSignals implements VcpuSignals {
  readonly log: string[] = [];
  kicks = 0;
  nmi(): void { this.log.push('nmi'); }
  init(): void { this.log.push('init'); }
  sipi(vector: number): void { this.log.push(`sipi:${vector.toString(16)}`); }
  kick(): void { this.kicks++; }
}

export class RecordingLine implements IrqLine {
  level = false;
  readonly edges: boolean[] = [];
  pulses = 0;
  set(level: boolean): void {
    if (level !== this.level) this.edges.push(level);
    this.level = level;
  }
  pulse(): void { this.pulses++; }
}

export interface Cpus {
  clock: FakeClock;
  router: ApicRouter;
  apics: LocalApic[];
  signals: RecordingSignals[];
}

/** `n` local APICs with IDs 0..n-1 on one router, software-enabled (SVR = 0x1FF). */
export function cpus(n: number, opts: { enable?: boolean } = {}): Cpus {
  const clock = new FakeClock();
  const router = new ApicRouter();
  const signals = Array.from({ length: n }, () => new RecordingSignals());
  const apics = signals.map((s, i) => new LocalApic(i, clock, s, router, { bsp: i === 0 }));
  for (const a of apics) router.add(a);
  if (opts.enable ?? true) for (const a of apics) a.mmioWrite(0xf0, 4, 0x1ff);
  return { clock, router, apics, signals };
}
