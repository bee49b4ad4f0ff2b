/**
 * "Which kernel function is this RIP in": the profile's symbols sorted by
 * address, searched for the nearest one at or below, as gdb prints
 * `<syscall_entry+4>`. The profile keeps names and addresses only (no sizes),
 * so only addresses inside the kernel image get a name: past `__kernel_end`
 * or in user space the nearest symbol would be a lie.
 */
import type { Profile } from '../../src/introspect/os/profile.js';

/** Linker-script and absolute symbols that name no code (KERNEL_VMA is the image's base, not a function). */
const NOT_CODE = /^(KERNEL_VMA|__kernel_(start|end)|__bss_(start|end)|_(s|e)(text|data|bss))$/;

export class SymbolTable {
  private readonly addrs: bigint[] = [];
  private readonly names: string[] = [];
  private readonly lo: bigint;
  private readonly hi: bigint;
  private readonly vma: bigint | undefined;

  constructor(profile: Profile | undefined) {
    const syms = profile?.symbols ?? new Map<string, bigint>();
    this.lo = syms.get('__kernel_start') ?? 0xffff800000000000n;
    this.hi = syms.get('__kernel_end') ?? 0xffffffffffffffffn;
    this.vma = syms.get('KERNEL_VMA');
    const sorted = [...syms].filter(([name, va]) => !NOT_CODE.test(name) && va >= this.lo && va < this.hi).sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    for (const [name, va] of sorted) { this.addrs.push(va); this.names.push(name); }
  }

  /** `name+0xoff` (or `name` at its first byte), or "" outside the kernel image or without a profile. */
  lookup(va: bigint): string {
    // Before paging (the PVH entry runs at physical addresses) the image is at KERNEL_VMA + RIP.
    if (this.vma !== undefined && this.lo > this.vma && va >= this.lo - this.vma && va < this.hi - this.vma) va += this.vma;
    if (va < this.lo || va >= this.hi || this.addrs.length === 0) return '';
    let lo = 0, hi = this.addrs.length - 1;
    if (va < this.addrs[0]!) return '';
    while (lo < hi) { // the last address <= va
      const mid = (lo + hi + 1) >> 1;
      if (this.addrs[mid]! <= va) lo = mid; else hi = mid - 1;
    }
    const off = va - this.addrs[lo]!;
    return off === 0n ? this.names[lo]! : `${this.names[lo]}+0x${off.toString(16)}`;
  }
}
