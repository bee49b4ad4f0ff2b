/**
 * The pre-decoded instruction cache. Straight-line runs of decoded
 * instructions ("blocks") are kept per guest-physical page, keyed by the
 * physical address of their first byte, and remember the linear address they
 * were decoded at (RIP-relative operands are resolved at decode time).
 *
 * One cache serves all vCPUs of a domain. Invalidation is exact: every page a block was decoded from is registered
 * with PhysicalMemory as a code page, and the first write to it, from any
 * source, drops every block that read it. A block never spans two pages, except
 * a lone instruction that itself straddles the boundary; that one is also
 * registered against the second page and re-checks its mapping on each use.
 */
import type { PhysicalMemory } from '../mmu/physical.js';
import { PAGE_SHIFT } from '../mmu/paging-bits.js';
import type { Insn } from './insn.js';
import type { BlockFn } from './jit/block-compiler.js';

/** What the cache needs of the vCPU that is executing: a way to end its current block. */
export interface BlockRunner {
  breakBlock: boolean;
}

export class Block {
  /** False once a write to its code dropped it from the cache. */
  valid = true;
  /**
   * The two blocks most recently run after this one (a taken and a fall-through
   * successor, typically), so that the loop can skip the lookup. Links are only
   * trusted within the TLB epoch they were made in.
   */
  link0: Block | undefined;
  link1: Block | undefined;
  linkEpoch = -1;
  /** Interpreted runs so far, until the block is hot enough to compile. */
  hits = 0;
  /** The compiled form (jit/block-compiler.ts), once hot. */
  fn: BlockFn | undefined;

  constructor(
    /** Linear address the block was decoded at. */
    readonly addr: number,
    /** Code-segment width it was decoded for (vCPUs sharing the cache may be in different modes). */
    readonly bits: number,
    readonly insns: Insn[],
    /** For a page-straddling instruction: the physical base of its second page, else -1. */
    readonly tailPage: number,
  ) {}
}

export class CodeCache {
  private byPage: (Map<number, Block> | undefined)[];
  /** Pages whose blocks also read this page (straddling instructions). */
  private dependents = new Map<number, Set<number>>();
  /**
   * The vCPU currently executing (all vCPUs of a domain share one thread and one
   * cache). A write into code ends its block after the writing instruction, so
   * that self-modifying code sees its own store on the next instruction.
   */
  running: BlockRunner | undefined;
  /** Statistics: blocks built and pages invalidated. */
  built = 0;
  invalidations = 0;

  constructor(private readonly mem: PhysicalMemory) {
    this.byPage = new Array(mem.pages);
    mem.onCodeWrite = (page) => this.invalidatePage(page);
  }

  get(pa: number): Block | undefined {
    return this.byPage[pa >>> PAGE_SHIFT]?.get(pa);
  }

  put(pa: number, block: Block): void {
    const page = pa >>> PAGE_SHIFT;
    if (page >= this.byPage.length) return; // code outside RAM is never cached
    let map = this.byPage[page];
    if (!map) this.byPage[page] = map = new Map();
    map.set(pa, block);
    this.mem.markCode(page);
    if (block.tailPage >= 0) {
      const tail = block.tailPage >>> PAGE_SHIFT;
      this.mem.markCode(tail);
      let deps = this.dependents.get(tail);
      if (!deps) this.dependents.set(tail, deps = new Set());
      deps.add(page);
    }
    this.built++;
  }

  invalidatePage(page: number): void {
    this.invalidations++;
    if (this.running) this.running.breakBlock = true;
    this.drop(page);
    const deps = this.dependents.get(page);
    if (deps) {
      this.dependents.delete(page);
      for (const p of deps) this.drop(p);
    }
  }

  private drop(page: number): void {
    const map = this.byPage[page];
    if (!map) return;
    for (const b of map.values()) b.valid = false;
    this.byPage[page] = undefined;
  }

}
