/**
 * Interrupt messages between APICs: what an ICR write (SDM Vol. 3A §10.6.1,
 * figure 10-12) or an I/O APIC redirection entry (82093AA datasheet §3.2.4)
 * asks the system bus to deliver, and the contract of whatever delivers them.
 */

/** ICR / redirection-entry delivery modes, bits 10:8 (SDM Vol. 3A §10.6.1). */
export const DeliveryMode = {
  FIXED: 0, LOWEST: 1, SMI: 2, NMI: 4, INIT: 5, STARTUP: 6, EXTINT: 7,
} as const;
export type DeliveryMode = (typeof DeliveryMode)[keyof typeof DeliveryMode];

/** ICR destination shorthand, bits 19:18. */
export const Shorthand = { NONE: 0, SELF: 1, ALL: 2, OTHERS: 3 } as const;
export type Shorthand = (typeof Shorthand)[keyof typeof Shorthand];

/** One interrupt message as it travels from a source to the local APICs. */
export interface ApicMessage {
  vector: number;
  /** A DeliveryMode value (3 bits; the reserved encoding 3 is delivered as nothing). */
  mode: number;
  /** Destination mode: logical (LDR/DFR match) rather than physical (APIC ID match). */
  logical: boolean;
  /** Level bit: false only for the INIT level de-assert message. */
  assert: boolean;
  /** Trigger mode: level-triggered fixed interrupts set TMR and get an EOI broadcast. */
  level: boolean;
  shorthand: Shorthand;
  /** 8-bit xAPIC destination, or 32-bit x2APIC destination when `x2apic`. */
  dest: number;
  /** The destination is in x2APIC format (ICR MSR 0x830 bits 63:32). */
  x2apic: boolean;
}

/** What a local APIC needs from the domain to send IPIs (implemented by ApicRouter). */
export interface IpiRouter {
  /**
   * Deliver `msg` to every local APIC it addresses. `fromApicId` resolves the
   * self and all-excluding-self shorthands (-1 for the I/O APIC, which has no
   * shorthands). Returns whether at least one APIC accepted it.
   */
  send(msg: ApicMessage, fromApicId: number): boolean;
}

const ICR_LEVEL_ASSERT = 1 << 14, ICR_TRIGGER_LEVEL = 1 << 15, ICR_LOGICAL = 1 << 11;

/** Decode ICR bits 31:0 plus the destination (xAPIC: ICR bits 63:56; x2APIC: bits 63:32). */
export function icrMessage(icrLow: number, dest: number, x2apic: boolean): ApicMessage {
  return {
    vector: icrLow & 0xff,
    mode: (icrLow >>> 8) & 7,
    logical: (icrLow & ICR_LOGICAL) !== 0,
    assert: (icrLow & ICR_LEVEL_ASSERT) !== 0,
    level: (icrLow & ICR_TRIGGER_LEVEL) !== 0,
    shorthand: ((icrLow >>> 18) & 3) as Shorthand,
    dest: x2apic ? dest >>> 0 : dest & 0xff,
    x2apic,
  };
}

/**
 * The INIT level de-assert message (delivery mode INIT, level 0, trigger level)
 * only resynchronises arbitration IDs on old processors; Pentium 4 and later
 * ignore it (SDM Vol. 3A §10.6.1, "INIT Level De-assert").
 */
export const isInitDeassert = (m: ApicMessage): boolean =>
  m.mode === DeliveryMode.INIT && m.level && !m.assert;
