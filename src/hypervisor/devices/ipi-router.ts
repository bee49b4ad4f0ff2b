/**
 * Delivery of interrupt messages to local APICs: destination shorthands,
 * physical and logical destination matching (SDM Vol. 3A §10.6.2, and
 * §10.12.9-10 for x2APIC) and lowest-priority arbitration. The domain makes one
 * router, adds each vCPU's LocalApic, and hands the router to the local APICs
 * (as their IpiRouter) and to the I/O APIC.
 *
 * Delivery is instantaneous: the target's IRR is set (or its vCPU signalled)
 * before `send` returns, which is why the ICR delivery-status bit reads idle.
 */
import { DeliveryMode, Shorthand, isInitDeassert, type ApicMessage, type IpiRouter } from './apic-message.js';

/** What the router needs from a local APIC (LocalApic implements it). */
export interface ApicTarget {
  readonly apicId: number;
  /** IA32_APIC_BASE.EN: a globally disabled APIC is off the bus (SDM §10.4.3). */
  readonly enabled: boolean;
  readonly x2apicMode: boolean;
  /** xAPIC: LDR bits 31:24 (8 bits); x2APIC: the 32-bit logical ID (SDM §10.12.10.2). */
  readonly logicalId: number;
  /** xAPIC DFR model 0000b (cluster) rather than 1111b (flat) (SDM §10.6.2.2). */
  readonly clusterModel: boolean;
  accept(msg: ApicMessage): void;
}

const XAPIC_BROADCAST = 0xff;
const X2APIC_BROADCAST = 0xffffffff;

/** Physical destination: an APIC ID, or the broadcast ID (SDM §10.6.2.1, §10.12.9). */
function physicalMatch(t: ApicTarget, m: ApicMessage): boolean {
  if (m.x2apic) return m.dest === X2APIC_BROADCAST || t.apicId === m.dest;
  return m.dest === XAPIC_BROADCAST || (t.apicId & 0xff) === m.dest;
}

/** Logical destination (SDM §10.6.2.2 flat and cluster models; §10.12.10.2 x2APIC cluster). */
function logicalMatch(t: ApicTarget, m: ApicMessage): boolean {
  if (m.x2apic || t.x2apicMode) {
    // x2APIC logical IDs are cluster (bits 31:16) plus a one-hot member bit (15:0). An 8-bit
    // destination from the I/O APIC to an x2APIC-mode target is not architecturally defined
    // without interrupt remapping; it is matched zero-extended, 0xff still meaning everyone.
    if (m.dest === X2APIC_BROADCAST || (!m.x2apic && m.dest === XAPIC_BROADCAST)) return true;
    return (m.dest >>> 16) === (t.logicalId >>> 16) && (m.dest & t.logicalId & 0xffff) !== 0;
  }
  const dest = m.dest & 0xff, ldr = t.logicalId & 0xff;
  if (dest === XAPIC_BROADCAST) return true;
  if (!t.clusterModel) return (dest & ldr) !== 0;
  // Cluster model: high nibble selects the cluster (15 = all clusters), low nibble the members.
  const cluster = dest >>> 4;
  return (cluster === 0xf || cluster === ldr >>> 4) && (dest & ldr & 0xf) !== 0;
}

export class ApicRouter implements IpiRouter {
  private readonly apics: ApicTarget[] = [];

  constructor(apics: Iterable<ApicTarget> = []) {
    for (const a of apics) this.add(a);
  }

  add(apic: ApicTarget): void {
    this.apics.push(apic);
  }

  /** The APICs `msg` addresses (before lowest-priority arbitration and the enable check). */
  destinations(msg: ApicMessage, fromApicId: number): ApicTarget[] {
    switch (msg.shorthand) {
      case Shorthand.SELF: return this.apics.filter((a) => a.apicId === fromApicId);
      case Shorthand.ALL: return this.apics.slice();
      case Shorthand.OTHERS: return this.apics.filter((a) => a.apicId !== fromApicId);
      default: return this.apics.filter((a) => (msg.logical ? logicalMatch(a, msg) : physicalMatch(a, msg)));
    }
  }

  send(msg: ApicMessage, fromApicId: number): boolean {
    if (isInitDeassert(msg)) return true;
    let targets = this.destinations(msg, fromApicId).filter((a) => a.enabled);
    if (targets.length === 0) return false;
    // Lowest priority: the SDM arbitrates on processor priority (§10.6.2.4) and leaves the
    // choice model-specific; the lowest-numbered APIC is a valid, deterministic choice.
    if (msg.mode === DeliveryMode.LOWEST) {
      targets = [targets.reduce((a, b) => (b.apicId < a.apicId ? b : a))];
    }
    for (const t of targets) t.accept(msg);
    return true;
  }
}
