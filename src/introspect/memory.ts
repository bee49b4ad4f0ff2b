/**
 * Guest memory for the SDK: physical and virtual reads and writes, with a page
 * cache and a translation cache.
 *
 * The caches are only used while this session holds the domain paused: then
 * neither guest memory nor page tables can change under them, so a cache hit
 * is exact. They are dropped whenever the domain may have run since (resume,
 * or an event, which means a vCPU ran). That is the libvmi complaint answered:
 * a CR3 reload or a reused pid can never meet a stale translation, because
 * translations are keyed by DTB and live no longer than a pause. While the
 * domain runs, every read goes to the domain (one request per read).
 *
 * A virtual page whose translation is not known yet is fetched whole with the
 * domain translating (one request), rather than walked here (a request per
 * paging level, then the page): a debugger reading around a new PC after every
 * step pays one round trip, not five.
 */
import { ReadMemoryReply, ReadPhysicalRequest, ReadVirtualRequest, StatusReply, WritePhysicalRequest } from '../generated/tsvmi/v1/control.js';
import type { DomainLink } from '../monitor/link.js';
import { typed } from './errors.js';
import { walk } from './paging.js';

const PAGE = 4096n;
/** Cached physical pages at most (16 MiB). */
const PAGE_CACHE_PAGES = 4096;

export interface CacheStats { pageHits: number; pageMisses: number; translationHits: number; translationMisses: number }

export class GuestMemory {
  private readonly pages = new Map<bigint, Uint8Array>();
  private readonly translations = new Map<string, bigint>();
  /** Virtual pages read with the domain's translation, by `dtb:page`. */
  private readonly virtualPages = new Map<string, Uint8Array>();
  readonly stats: CacheStats = { pageHits: 0, pageMisses: 0, translationHits: 0, translationMisses: 0 };

  /** `cacheable`: the domain cannot run now (this session paused it). */
  constructor(private readonly link: DomainLink, private readonly cacheable: () => boolean) {}

  /** Forget everything cached (the domain may have run). */
  flush(): void {
    this.pages.clear();
    this.translations.clear();
    this.virtualPages.clear();
  }

  async readPA(pa: bigint, length: number): Promise<Uint8Array> {
    if (!this.cacheable()) return this.fetch(pa, length);
    const out = new Uint8Array(length);
    for (let done = 0; done < length;) {
      const at = pa + BigInt(done), off = Number(at % PAGE), n = Math.min(length - done, 4096 - off);
      out.set((await this.page(at - BigInt(off))).subarray(off, off + n), done);
      done += n;
    }
    return out;
  }

  async writePA(pa: bigint, data: Uint8Array): Promise<void> {
    await typed(this.link.request('control.write-physical', WritePhysicalRequest, StatusReply, { gpa: pa, data: Buffer.from(data) }));
    for (let p = pa - (pa % PAGE); p < pa + BigInt(data.length); p += PAGE) this.pages.delete(p);
    this.virtualPages.clear(); // which virtual pages map that frame is not known here
  }

  /** The physical address of `va` in the address space `dtb`. */
  async translate(dtb: bigint, va: bigint): Promise<bigint> {
    const off = BigInt.asUintN(64, va) % PAGE, vpage = BigInt.asUintN(64, va) - off;
    const key = `${dtb}:${vpage}`;
    if (this.cacheable()) {
      const hit = this.translations.get(key);
      if (hit !== undefined) { this.stats.translationHits++; return hit + off; }
      this.stats.translationMisses++;
    }
    const pa = await walk((ea) => this.readPA(ea, 8).then(u64), dtb, va);
    if (this.cacheable()) this.translations.set(key, pa - off);
    return pa;
  }

  async readVA(va: bigint, length: number, dtb: bigint): Promise<Uint8Array> {
    if (!this.cacheable()) {
      const r = await typed(this.link.request('control.read-virtual', ReadVirtualRequest, ReadMemoryReply, { translation: { $case: 'cr3', value: dtb }, gva: BigInt.asUintN(64, va), length }));
      return r.data;
    }
    const out = new Uint8Array(length);
    for (const [at, n, done] of pieces(va, length)) {
      const off = Number(BigInt.asUintN(64, at) % PAGE), vpage = BigInt.asUintN(64, at) - BigInt(off);
      const page = this.translations.has(`${dtb}:${vpage}`) ? undefined : await this.virtualPage(dtb, vpage);
      out.set(page ? page.subarray(off, off + n) : await this.readPA(await this.translate(dtb, at), n), done);
    }
    return out;
  }

  /** A whole virtual page, translated by the domain; undefined when it cannot be (the walk here then says why). */
  private async virtualPage(dtb: bigint, vpage: bigint): Promise<Uint8Array | undefined> {
    const key = `${dtb}:${vpage}`;
    const hit = this.virtualPages.get(key);
    if (hit) { this.stats.pageHits++; return hit; }
    const r = await this.link.request('control.read-virtual', ReadVirtualRequest, ReadMemoryReply, { translation: { $case: 'cr3', value: dtb }, gva: vpage, length: 4096 });
    if (r.error || !this.cacheable()) return undefined;
    this.stats.pageMisses++;
    if (this.virtualPages.size >= PAGE_CACHE_PAGES) this.virtualPages.delete(this.virtualPages.keys().next().value!);
    this.virtualPages.set(key, r.data);
    return r.data;
  }

  async writeVA(va: bigint, data: Uint8Array, dtb: bigint): Promise<void> {
    for (const [at, n, done] of pieces(va, data.length)) await this.writePA(await this.translate(dtb, at), data.subarray(done, done + n));
  }

  private async page(base: bigint): Promise<Uint8Array> {
    const hit = this.pages.get(base);
    if (hit) { this.stats.pageHits++; return hit; }
    this.stats.pageMisses++;
    const bytes = await this.fetch(base, 4096);
    if (this.pages.size >= PAGE_CACHE_PAGES) this.pages.delete(this.pages.keys().next().value!);
    this.pages.set(base, bytes);
    return bytes;
  }

  private async fetch(pa: bigint, length: number): Promise<Uint8Array> {
    return (await typed(this.link.request('control.read-physical', ReadPhysicalRequest, ReadMemoryReply, { gpa: pa, length }))).data;
  }
}

/** A little-endian uint64 from the first 8 bytes. */
export const u64 = (b: Uint8Array): bigint => new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true);

/** An address range cut at page boundaries: [address, length, offset into the range] per page. */
export function pieces(va: bigint, length: number): Array<[bigint, number, number]> {
  const out: Array<[bigint, number, number]> = [];
  for (let done = 0; done < length;) {
    const at = va + BigInt(done), n = Math.min(length - done, 4096 - Number(BigInt.asUintN(64, at) % PAGE));
    out.push([at, n, done]);
    done += n;
  }
  return out;
}
