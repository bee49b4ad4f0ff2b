/**
 * Linear-address access for one vCPU: translation through the 4-level page
 * walk (SDM Vol. 3A §4.5), a software TLB, permission checks (§4.6), and
 * #PF with the architectural error code and CR2 (§4.7).
 *
 * Linear addresses are JS numbers in canonical signed form: 0xffffffff80000000
 * is -0x80000000. Every canonical address is exact in a double, and the page
 * base is `la - (la & 0xfff)` on both halves of the address space. Callers (the
 * CPU's effective-address code) check canonicality; this layer assumes it.
 *
 * Values wider than 32 bits travel as two halves: `read64` returns the low half
 * and leaves the high half in `hi`.
 */
import { GuestFault, Vector } from '../cpu/fault.js';
import { AccessViolation, NEEDS, PageAccess, tlbMask } from './page-access.js';
import { PhysicalMemory, type MmioHandler } from './physical.js';
import { Access, MAXPHYADDR, PAGE_MASK, PAGE_SHIFT, Perm, PfErr, Pte } from './paging-bits.js';
import { Tlb, TLB_MASK } from './tlb.js';

/** How linear addresses become physical ones; set from CR0/CR4/EFER by the CPU. */
/** SDM Vol. 3A §4.1.1: no paging, 32-bit (2-level), PAE (3-level), 4-level. */
export const PagingMode = { NONE: 0, LEGACY: 2, PAE: 3, LONG4: 4 } as const;
export type PagingMode = (typeof PagingMode)[keyof typeof PagingMode];

/** Bits 51:MAXPHYADDR of an entry's high half must be zero. */
const RSVD_HI = (0x000fffff & ~((1 << (MAXPHYADDR - 32)) - 1)) >>> 0;
const ADDR_HI = (1 << (MAXPHYADDR - 32)) - 1;
const TWO32 = 4294967296;
/** A walk's success value: error codes are small non-negative numbers, 0 included. */
const WALK_OK = -1;
/** Mmu.oneShot value that lifts every second-level restriction for one instruction. */
export const OPEN = 'open';

/** The result of a walk, in fields rather than an object to keep the hot path allocation-free. */
interface Walk { pa: number; perm: number }

export class Mmu {
  readonly tlb = new Tlb();
  mode: PagingMode = PagingMode.NONE;
  /** CR3 page-table base (physical). */
  cr3 = 0;
  /** CR0.WP: supervisor writes honour read-only pages. */
  wp = false;
  /** EFER.NXE: bit 63 is XD rather than reserved. */
  nxe = false;
  /** CR4.PSE: 4 MiB pages in 32-bit paging. */
  pse = false;
  /** The Perm bit each access kind needs at the current privilege level. */
  needR: number = Perm.SR;
  needW: number = Perm.SW;
  needX: number = Perm.SX;
  user = false;
  /** High half of the last 64-bit read. */
  hi = 0;
  /** This CPU's own MMIO (its local APIC page), consulted before the shared bus. */
  local: MmioHandler | undefined;
  /**
   * Data-breakpoint watch: while set, nothing is cached in the TLB, so every
   * access takes a slow path that reports it here (see cpu/debug.ts).
   */
  watch: ((la: number, size: number, write: boolean) => void) | undefined;

  /**
   * Second-level permissions for the next instruction only, in place of the
   * domain's (a reply's emulate or step permissions): `OPEN` allows everything,
   * a map overrides some frames. The CPU ends it after one instruction.
   */
  oneShot: typeof OPEN | ReadonlyMap<number, number> | undefined;
  /** Non-zero while the processor accesses memory on its own behalf during event delivery: not checked. */
  unchecked = 0;

  private readonly walkOut: Walk = { pa: 0, perm: 0 };

  constructor(readonly mem: PhysicalMemory) {}

  /** Reconfigure after CR0/CR3/CR4/EFER or CPL changes. Any change flushes the TLB. */
  configure(mode: PagingMode, cr3: number, wp: boolean, nxe: boolean, pse = false): void {
    this.mode = mode;
    this.cr3 = cr3;
    this.wp = wp;
    this.nxe = nxe && mode !== PagingMode.LEGACY;
    this.pse = pse;
    this.tlb.flushAll();
  }

  setUser(user: boolean): void {
    if (user !== this.user) this.tlb.epoch++;
    this.user = user;
    this.needR = user ? Perm.UR : Perm.SR;
    this.needW = user ? Perm.UW : Perm.SW;
    this.needX = user ? Perm.UX : Perm.SX;
  }

  // ---- hot paths -------------------------------------------------------------

  read8(la: number): number {
    const t = this.tlb, i = (la >>> 12) & TLB_MASK, off = la & PAGE_MASK;
    if (t.tag[i] === la - off && (t.perm[i]! & this.needR) !== 0) return this.mem.bytes[t.phys[i]! + off]!;
    return this.slowRead(la, 1, this.needR, Access.READ);
  }

  read16(la: number): number {
    const t = this.tlb, i = (la >>> 12) & TLB_MASK, off = la & PAGE_MASK;
    if (t.tag[i] === la - off && (t.perm[i]! & this.needR) !== 0 && off <= 4094) return this.mem.view.getUint16(t.phys[i]! + off, true);
    return this.slowRead(la, 2, this.needR, Access.READ);
  }

  read32(la: number): number {
    const t = this.tlb, i = (la >>> 12) & TLB_MASK, off = la & PAGE_MASK;
    if (t.tag[i] === la - off && (t.perm[i]! & this.needR) !== 0 && off <= 4092) return this.mem.view.getInt32(t.phys[i]! + off, true);
    return this.slowRead(la, 4, this.needR, Access.READ);
  }

  read64(la: number): number {
    const t = this.tlb, i = (la >>> 12) & TLB_MASK, off = la & PAGE_MASK;
    if (t.tag[i] === la - off && (t.perm[i]! & this.needR) !== 0 && off <= 4088) {
      const pa = t.phys[i]! + off, v = this.mem.view;
      this.hi = v.getInt32(pa + 4, true);
      return v.getInt32(pa, true);
    }
    return this.slowRead(la, 8, this.needR, Access.READ);
  }

  write8(la: number, val: number): void {
    const t = this.tlb, i = (la >>> 12) & TLB_MASK, off = la & PAGE_MASK;
    if (t.tag[i] === la - off && (t.perm[i]! & this.needW) !== 0) {
      const pa = t.phys[i]! + off;
      if (this.mem.codePages[pa >>> PAGE_SHIFT]) this.mem.noteWrite(pa, 1);
      this.mem.bytes[pa] = val;
      return;
    }
    this.slowWrite(la, 1, val, 0);
  }

  write16(la: number, val: number): void {
    const t = this.tlb, i = (la >>> 12) & TLB_MASK, off = la & PAGE_MASK;
    if (t.tag[i] === la - off && (t.perm[i]! & this.needW) !== 0 && off <= 4094) {
      const pa = t.phys[i]! + off;
      if (this.mem.codePages[pa >>> PAGE_SHIFT]) this.mem.noteWrite(pa, 2);
      this.mem.view.setUint16(pa, val, true);
      return;
    }
    this.slowWrite(la, 2, val, 0);
  }

  write32(la: number, val: number): void {
    const t = this.tlb, i = (la >>> 12) & TLB_MASK, off = la & PAGE_MASK;
    if (t.tag[i] === la - off && (t.perm[i]! & this.needW) !== 0 && off <= 4092) {
      const pa = t.phys[i]! + off;
      if (this.mem.codePages[pa >>> PAGE_SHIFT]) this.mem.noteWrite(pa, 4);
      this.mem.view.setInt32(pa, val, true);
      return;
    }
    this.slowWrite(la, 4, val, 0);
  }

  write64(la: number, lo: number, hi: number): void {
    const t = this.tlb, i = (la >>> 12) & TLB_MASK, off = la & PAGE_MASK;
    if (t.tag[i] === la - off && (t.perm[i]! & this.needW) !== 0 && off <= 4088) {
      const pa = t.phys[i]! + off;
      if (this.mem.codePages[pa >>> PAGE_SHIFT]) this.mem.noteWrite(pa, 8);
      this.mem.view.setInt32(pa, lo, true);
      this.mem.view.setInt32(pa + 4, hi, true);
      return;
    }
    this.slowWrite(la, 8, lo, hi);
  }

  /**
   * Reads for read-modify-write instructions: checked for *write* permission, so
   * that an RMW on a read-only page faults (with W in the error code) before the
   * instruction has changed anything, as on hardware.
   */
  readW8(la: number): number {
    const t = this.tlb, i = (la >>> 12) & TLB_MASK, off = la & PAGE_MASK;
    if (t.tag[i] === la - off && (t.perm[i]! & this.needW) !== 0) return this.mem.bytes[t.phys[i]! + off]!;
    return this.slowRead(la, 1, this.needW, Access.WRITE);
  }

  readW16(la: number): number {
    const t = this.tlb, i = (la >>> 12) & TLB_MASK, off = la & PAGE_MASK;
    if (t.tag[i] === la - off && (t.perm[i]! & this.needW) !== 0 && off <= 4094) return this.mem.view.getUint16(t.phys[i]! + off, true);
    return this.slowRead(la, 2, this.needW, Access.WRITE);
  }

  readW32(la: number): number {
    const t = this.tlb, i = (la >>> 12) & TLB_MASK, off = la & PAGE_MASK;
    if (t.tag[i] === la - off && (t.perm[i]! & this.needW) !== 0 && off <= 4092) return this.mem.view.getInt32(t.phys[i]! + off, true);
    return this.slowRead(la, 4, this.needW, Access.WRITE);
  }

  readW64(la: number): number {
    const t = this.tlb, i = (la >>> 12) & TLB_MASK, off = la & PAGE_MASK;
    if (t.tag[i] === la - off && (t.perm[i]! & this.needW) !== 0 && off <= 4088) {
      const pa = t.phys[i]! + off, v = this.mem.view;
      this.hi = v.getInt32(pa + 4, true);
      return v.getInt32(pa, true);
    }
    return this.slowRead(la, 8, this.needW, Access.WRITE);
  }

  /**
   * The guest-physical address of `la`, checked for `access` at the current
   * privilege: the TLB when it hits, else a walk (which may raise #PF).
   */
  pa(la: number, access: Access): number {
    const t = this.tlb, i = (la >>> 12) & TLB_MASK, off = la & PAGE_MASK;
    const need = access === Access.WRITE ? this.needW : access === Access.EXEC ? this.needX : this.needR;
    if (t.tag[i] === la - off && (t.perm[i]! & need) !== 0) return t.phys[i]! + off;
    if (access !== Access.EXEC) this.watch?.(la, 1, access === Access.WRITE);
    return this.translate(la, access, this.user);
  }

  /** Physical address of an instruction byte, checked for execute permission (the hot case of `pa`). */
  fetchPa(la: number): number {
    const t = this.tlb, i = (la >>> 12) & TLB_MASK, off = la & PAGE_MASK;
    if (t.tag[i] === la - off && (t.perm[i]! & this.needX) !== 0) return t.phys[i]! + off;
    return this.translate(la, Access.EXEC, this.user);
  }

  // ---- slow paths --------------------------------------------------------------

  private slowRead(la: number, size: number, _need: number, access: Access): number {
    const off = la & PAGE_MASK;
    this.watch?.(la, size, access === Access.WRITE);
    if (off + size > 4096) return this.splitRead(la, size, access);
    const pa = this.translate(la, access, this.user);
    return this.physRead(pa, size);
  }

  /** An access that straddles two pages: both are translated before any byte moves. */
  private splitRead(la: number, size: number, access: Access): number {
    const first = 4096 - (la & PAGE_MASK);
    const pa0 = this.translate(la, access, this.user);
    const pa1 = this.translate(la + first, access, this.user);
    let lo = 0, hi = 0;
    for (let k = size - 1; k >= 0; k--) {
      const b = this.physRead(k < first ? pa0 + k : pa1 + (k - first), 1);
      if (k >= 4) hi = (hi << 8) | b; else lo = (lo << 8) | b;
    }
    this.hi = hi;
    return size === 2 ? lo & 0xffff : lo | 0;
  }

  private slowWrite(la: number, size: number, lo: number, hi: number): void {
    const first = 4096 - (la & PAGE_MASK);
    this.watch?.(la, size, true);
    if (first >= size) {
      this.physWrite(this.translate(la, Access.WRITE, this.user), size, lo, hi);
      return;
    }
    const pa0 = this.translate(la, Access.WRITE, this.user);
    const pa1 = this.translate(la + first, Access.WRITE, this.user);
    for (let k = 0; k < size; k++) {
      const b = (k < 4 ? lo >>> (8 * k) : hi >>> (8 * (k - 4))) & 0xff;
      this.physWrite(k < first ? pa0 + k : pa1 + (k - first), 1, b, 0);
    }
  }

  /** Read guest-physical memory, routing non-RAM addresses to MMIO (unclaimed reads give all ones). */
  physRead(pa: number, size: number): number {
    const m = this.mem;
    if (m.isRam(pa, size)) {
      switch (size) {
        case 1: return m.bytes[pa]!;
        case 2: return m.view.getUint16(pa, true);
        case 4: return m.view.getInt32(pa, true);
        default: this.hi = m.view.getInt32(pa + 4, true); return m.view.getInt32(pa, true);
      }
    }
    const v = this.local?.mmioRead(pa, size) ?? m.mmio?.mmioRead(pa, size);
    if (v !== undefined) return v;
    this.hi = -1;
    return size === 1 ? 0xff : size === 2 ? 0xffff : -1;
  }

  physWrite(pa: number, size: number, lo: number, hi: number): void {
    const m = this.mem;
    if (m.isRam(pa, size)) {
      m.noteWrite(pa, size);
      switch (size) {
        case 1: m.bytes[pa] = lo; return;
        case 2: m.view.setUint16(pa, lo, true); return;
        case 4: m.view.setInt32(pa, lo, true); return;
        default: m.view.setInt32(pa, lo, true); m.view.setInt32(pa + 4, hi, true); return;
      }
    }
    const write = (a: number, n: number, v: number): void => {
      if (!this.local?.mmioWrite(a, n, v)) m.mmio?.mmioWrite(a, n, v);
    };
    if (size === 8) {
      write(pa, 4, lo);
      write(pa + 4, 4, hi);
    } else {
      write(pa, size, lo);
    }
  }

  /**
   * Translate for an access, setting A/D bits and filling the TLB; throws #PF.
   * `user` is the privilege of the access: implicit supervisor accesses (GDT,
   * IDT, TSS) pass false whatever the CPL.
   */
  translate(la: number, access: Access, user: boolean): number {
    const off = la & PAGE_MASK;
    let pa: number, perm: number;
    if (this.mode === PagingMode.NONE) {
      pa = la >>> 0;
      perm = Perm.SR | Perm.SW | Perm.SX | Perm.UR | Perm.UW | Perm.UX;
    } else {
      const err = this.walk(la, access, user, true, this.cr3);
      if (err !== WALK_OK) throw new GuestFault(Vector.PF, err, la);
      pa = this.walkOut.pa;
      perm = this.walkOut.perm;
    }
    if (this.mem.access.restricted !== 0 || this.oneShot !== undefined) {
      perm = this.checkAccess(la, pa, access, perm);
      if (this.oneShot !== undefined) return pa; // cache nothing the one-instruction view allowed
    }
    if (this.watch === undefined && this.mem.isRam(pa - off, 4096)) this.tlb.fill(la, pa, perm);
    return pa;
  }

  /**
   * The second-level check, after the guest's page tables allowed the access:
   * throws AccessViolation when the frame forbids it, and returns the TLB bits
   * the domain's permissions leave, so that only permitted accesses hit the TLB.
   */
  private checkAccess(la: number, pa: number, access: Access, perm: number): number {
    const gfn = Math.floor(pa / 4096), table = this.mem.access;
    const shot = this.oneShot;
    const allowed = shot === OPEN ? PageAccess.RWX : shot?.get(gfn) ?? table.get(gfn);
    if ((allowed & NEEDS[access]) === 0 && this.unchecked === 0) throw new AccessViolation(pa, la, access);
    return perm & tlbMask(table.get(gfn));
  }

  /** Lift or override the second-level permissions for one instruction (see `oneShot`). */
  beginOneShot(view: typeof OPEN | ReadonlyMap<number, number>): void {
    this.oneShot = view;
    this.tlb.flushAll(); // entries filled under the domain's permissions may allow what the view forbids
  }

  endOneShot(): void {
    this.oneShot = undefined;
  }

  /**
   * The page walk for the current mode: 4-level (SDM Vol. 3A §4.5), PAE (§4.4)
   * or 32-bit (§4.3). Returns WALK_OK and fills `walkOut`, or a #PF error code
   * (which may be 0). With `commit` false it is a pure read: no A/D updates and
   * no permission check (the debugger's view of the page tables).
   */
  private walk(la: number, access: Access, user: boolean, commit: boolean, cr3: number): number {
    const m = this.mem, mode = this.mode;
    const write = access === Access.WRITE, exec = access === Access.EXEC;
    const errBase = (write ? PfErr.W : 0) | (user ? PfErr.U : 0) | (exec && this.nxe ? PfErr.I : 0);
    const legacy = mode === PagingMode.LEGACY;
    const entry = legacy ? 4 : 8;
    // Index width and position of the top level; PAE's top level is the 4-entry PDPT.
    let levels: number = mode, pageBits = legacy ? 22 : mode === PagingMode.PAE ? 30 : 39;
    let table = legacy ? (cr3 & ~PAGE_MASK) >>> 0 : mode === PagingMode.PAE ? (cr3 & ~31) >>> 0 : cr3 - (cr3 & PAGE_MASK);
    let rw = 1, us = 1, xd = 0;
    if (legacy) levels = 2;
    for (let level = levels; level >= 1; level--) {
      const bits = legacy ? 10 : mode === PagingMode.PAE && level === 3 ? 2 : 9;
      const idx = Math.floor(la / 2 ** pageBits) & ((1 << bits) - 1);
      const ea = table + idx * entry;
      if (!m.isRam(ea, entry)) return errBase;
      const lo = m.view.getInt32(ea, true), hi = legacy ? 0 : m.view.getInt32(ea + 4, true);
      if ((lo & Pte.P) === 0) return errBase;
      const pdpt = mode === PagingMode.PAE && level === 3;
      const large = (lo & Pte.PS) !== 0 && !pdpt && (legacy ? level === 2 && this.pse : level === 2 || (level === 3 && mode === PagingMode.LONG4));
      if (this.reserved(lo, hi, level, large, pdpt)) return errBase | PfErr.P | PfErr.RSVD;
      if (!pdpt) {
        rw &= (lo >> 1) & 1;
        us &= (lo >> 2) & 1;
      }
      if (this.nxe && hi < 0) xd = 1;
      const leaf = level === 1 || large;
      if (commit && !pdpt) {
        let upd = lo | Pte.A;
        if (leaf && write && this.permits(rw, us, xd, access, user)) upd |= Pte.D;
        if (upd !== lo) m.write32(ea, upd);
      }
      const base = (hi & ADDR_HI) * TWO32 + ((lo & ~PAGE_MASK) >>> 0);
      if (leaf) {
        const size = 2 ** pageBits;
        const frame = base - (base % size);
        const pa = frame + (((la % size) + size) % size);
        if (commit && !this.permits(rw, us, xd, access, user)) return errBase | PfErr.P;
        const dirty = (lo & Pte.D) !== 0 || (commit && write);
        let perm: number = Perm.SR | (xd ? 0 : Perm.SX);
        if (dirty && (rw || !this.wp)) perm |= Perm.SW;
        if (us) perm |= Perm.UR | (xd ? 0 : Perm.UX) | (dirty && rw ? Perm.UW : 0);
        if (large) perm |= Perm.LARGE;
        this.walkOut.pa = pa;
        this.walkOut.perm = perm;
        return WALK_OK;
      }
      table = base;
      pageBits -= legacy ? 10 : 9;
    }
    return errBase; // unreachable: level 1 is always a leaf
  }

  /** Reserved-bit checks per mode and level (SDM Vol. 3A tables 4-4, 4-8 to 4-11, 4-15 to 4-20). */
  private reserved(lo: number, hi: number, level: number, large: boolean, pdpt: boolean): boolean {
    if (this.mode === PagingMode.LEGACY) return large && (lo & 0x003fe000) !== 0; // 4 MiB page: bits 21:13 (no PSE-36)
    if ((hi & RSVD_HI) !== 0 || (!this.nxe && hi < 0)) return true;
    if (pdpt) return (lo & 0x1e6) !== 0 || hi < 0;                                  // PAE PDPTE: bits 2:1, 8:5, XD
    if (level === 4 && (lo & Pte.PS)) return true;
    if (large && level === 3) return (lo & 0x3fffe000) !== 0;                      // 1 GiB page: bits 29:13
    if (large && level === 2) return (lo & 0x001fe000) !== 0;                      // 2 MiB page: bits 20:13
    return false;
  }

  /** SDM Vol. 3A §4.6.1: the access rights for a translation. */
  private permits(rw: number, us: number, xd: number, access: Access, user: boolean): boolean {
    if (access === Access.EXEC) return !xd && (!user || us !== 0);
    if (user) return us !== 0 && (access === Access.READ || rw !== 0);
    return access === Access.READ || rw !== 0 || !this.wp;
  }

  // ---- implicit supervisor accesses ------------------------------------------------

  /**
   * Accesses the processor makes on its own behalf — descriptor tables, the
   * TSS, the IDT — are supervisor accesses whatever the CPL (SDM Vol. 3A
   * §4.6.1), so they bypass the CPL-specific TLB permission bits.
   */
  readSupervisor32(la: number): number {
    if ((la & PAGE_MASK) > 4092) return this.readSupervisorBytes(la, 4);
    return this.physRead(this.translate(la, Access.READ, false), 4);
  }

  readSupervisor64(la: number): number {
    const lo = this.readSupervisor32(la);
    this.hi = this.readSupervisor32(la + 4);
    return lo;
  }

  readSupervisor16(la: number): number {
    return this.readSupervisorBytes(la, 2);
  }

  writeSupervisor32(la: number, v: number): void {
    for (let k = 0; k < 4; k++) this.physWrite(this.translate(la + k, Access.WRITE, false), 1, (v >>> (8 * k)) & 0xff, 0);
  }

  private readSupervisorBytes(la: number, n: number): number {
    let v = 0;
    for (let k = n - 1; k >= 0; k--) v = (v << 8) | this.physRead(this.translate(la + k, Access.READ, false), 1);
    return n === 2 ? v & 0xffff : v | 0;
  }

  // ---- debugger view ------------------------------------------------------------

  /**
   * Translate without side effects: no A/D bits, no TLB fill, no fault.
   * Returns the physical address or -1 when unmapped. `cr3` defaults to the
   * current one; pass another to look into a different address space.
   */
  peekTranslate(la: number, cr3 = this.cr3): number {
    if (this.mode === PagingMode.NONE) return la >>> 0;
    return this.walk(la, Access.READ, false, false, cr3) === WALK_OK ? this.walkOut.pa : -1;
  }

  /** Read linear memory for a debugger; undefined where any byte is unmapped or not RAM. */
  peek(la: number, len: number, cr3 = this.cr3): Uint8Array | undefined {
    const out = new Uint8Array(len);
    for (let done = 0; done < len;) {
      const pa = this.peekTranslate(la + done, cr3);
      const chunk = Math.min(len - done, 4096 - ((la + done) & PAGE_MASK));
      if (pa < 0 || !this.mem.isRam(pa, chunk)) return undefined;
      out.set(this.mem.bytes.subarray(pa, pa + chunk), done);
      done += chunk;
    }
    return out;
  }

  /** Write linear memory for a debugger, ignoring page protections; false if unmapped. */
  poke(la: number, data: Uint8Array, cr3 = this.cr3): boolean {
    const pas: number[] = [];
    for (let done = 0; done < data.length;) {
      const pa = this.peekTranslate(la + done, cr3);
      const chunk = Math.min(data.length - done, 4096 - ((la + done) & PAGE_MASK));
      if (pa < 0 || !this.mem.isRam(pa, chunk)) return false;
      pas.push(pa, chunk, done);
      done += chunk;
    }
    for (let k = 0; k < pas.length; k += 3) this.mem.writeBytes(pas[k]!, data.subarray(pas[k + 2]!, pas[k + 2]! + pas[k + 1]!));
    return true;
  }
}
