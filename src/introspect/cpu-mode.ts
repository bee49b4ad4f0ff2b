/**
 * The processor mode a vCPU's registers put it in, read the way the processor
 * decides it (SDM Vol. 3A §2.2, figure 2-3 "Transitions Among the Processor's
 * Operating Modes"): CR0.PE for protected mode, EFER.LMA for IA-32e mode, and
 * in IA-32e mode CS.L for 64-bit code, else CS.D for the default operand size.
 * The privilege level is CS's RPL, which is the CPL (§5.5).
 */
import type { Registers } from '../generated/tsvmi/v1/registers.js';

export type CpuMode = 'real' | '16-bit protected' | '32-bit protected' | 'compatibility' | '64-bit';

const PE = 1n;
const LMA = 1n << 10n;
/** CS attribute bits in the wire's SVM layout: L is bit 9, D/B bit 10. */
const CS_L = 1 << 9, CS_D = 1 << 10;

export function cpuMode(r: Registers): CpuMode {
  if ((r.cr0 & PE) === 0n) return 'real';
  const cs = r.cs?.attributes ?? 0;
  if ((r.efer & LMA) !== 0n) return cs & CS_L ? '64-bit' : 'compatibility';
  return cs & CS_D ? '32-bit protected' : '16-bit protected';
}

/** The current privilege level, 0 (kernel) to 3 (user). */
export const cpl = (r: Registers): number => (r.cs?.selector ?? 0) & 3;
