/**
 * Second-level page permissions: r/w/x per guest frame, on top of whatever the
 * guest's own page tables allow. This is the part of EPT (SDM Vol. 3C §28.3)
 * and AMD's nested paging (APM Vol. 2 §15.25) that introspection uses — Xen's
 * p2m access types (XENMEM_access_r, _rw, _rx, ...) set by `xc_set_mem_access`.
 * An access the frame forbids stops the vCPU before the instruction completes
 * (an EPT violation / nested page fault) instead of reaching the guest.
 */
import { Access, PAGE_SHIFT, Perm } from './paging-bits.js';

/** Bits of a frame's access; all three set is unrestricted (XENMEM_access_rwx). */
export const PageAccess = { R: 1, W: 2, X: 4, RWX: 7 } as const;

/** The PageAccess bit an access kind needs. */
export const NEEDS: Readonly<Record<Access, number>> = { [Access.READ]: PageAccess.R, [Access.WRITE]: PageAccess.W, [Access.EXEC]: PageAccess.X };

/** The TLB permission bits (both privilege levels) a frame's access leaves standing. */
export function tlbMask(access: number): number {
  return (access & PageAccess.R ? Perm.SR | Perm.UR : 0) | (access & PageAccess.W ? Perm.SW | Perm.UW : 0) |
    (access & PageAccess.X ? Perm.SX | Perm.UX : 0) | Perm.LARGE;
}

/** The domain's permissions, one byte per RAM frame; frames outside RAM are unrestricted. */
export class PageAccessTable {
  private readonly bits: Uint8Array;
  /** Frames with anything less than rwx: zero keeps the MMU's check off its paths entirely. */
  restricted = 0;

  constructor(readonly frames: number) {
    this.bits = new Uint8Array(frames).fill(PageAccess.RWX);
  }

  get(gfn: number): number {
    return gfn < this.frames ? this.bits[gfn]! : PageAccess.RWX;
  }

  /** Set a frame's access; callers flush every vCPU's TLB afterwards (Domain.setPageAccess). */
  set(gfn: number, access: number): void {
    if (!Number.isInteger(gfn) || gfn < 0 || gfn >= this.frames) throw new RangeError(`frame 0x${gfn.toString(16)} is outside guest memory (${this.frames} frames)`);
    const before = this.bits[gfn]!, after = access & PageAccess.RWX;
    this.restricted += (after !== PageAccess.RWX ? 1 : 0) - (before !== PageAccess.RWX ? 1 : 0);
    this.bits[gfn] = after;
  }

  /** Frames with restrictions, and what they allow. */
  entries(): Array<[gfn: number, access: number]> {
    const out: Array<[number, number]> = [];
    if (this.restricted === 0) return out;
    this.bits.forEach((b, gfn) => { if (b !== PageAccess.RWX) out.push([gfn, b]); });
    return out;
  }
}

/**
 * An access the second-level permissions forbid. Thrown from the MMU like a
 * GuestFault and turned by the CPU into an intercept at the instruction
 * boundary; never seen by the guest.
 */
export class AccessViolation extends Error {
  constructor(readonly gpa: number, readonly gla: number | undefined, readonly access: Access) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0; // control flow, like GuestFault: no host stack trace
    super(`page access violation at gpa 0x${gpa.toString(16)}`);
    Error.stackTraceLimit = limit;
  }

  get gfn(): number {
    return Math.floor(this.gpa / 2 ** PAGE_SHIFT);
  }
}
