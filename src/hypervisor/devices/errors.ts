/**
 * Errors of the platform devices. `ApicMsrError` is guest-caused: the CPU's
 * RDMSR/WRMSR path turns it into #GP(0). `DeviceConfigError` is a host-side
 * mistake in how a device was built or wired (bad options, pin out of range).
 */

/** An x2APIC or IA32_APIC_BASE MSR access that raises #GP(0) (SDM Vol. 3A §10.12.1.2, §10.12.5). */
export class ApicMsrError extends Error {
  override readonly name = 'ApicMsrError';
  constructor(readonly msr: number, readonly write: boolean, reason: string) {
    super(`${write ? 'WRMSR' : 'RDMSR'} 0x${msr.toString(16)}: ${reason}`);
  }
}

/** A device was constructed or wired with options it cannot honour. */
export class DeviceConfigError extends Error {
  override readonly name = 'DeviceConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
