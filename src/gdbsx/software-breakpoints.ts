/**
 * gdb's software breakpoints (Z0): an int3 written over the first byte of the
 * instruction, the original byte kept. gdb never sees the int3s: reads show
 * the original bytes (as a stub that breaks in its translator, QEMU's, shows
 * them naturally), and a write over a breakpoint changes the byte kept, not
 * the int3.
 */
import type { AddressSpace, Vmi } from '../introspect/index.js';

const INT3 = 0xcc;

export class SoftwareBreakpoints {
  /** Linear address -> the byte under the int3. */
  private readonly originals = new Map<bigint, number>();

  constructor(private readonly vmi: Vmi) {}

  has(va: bigint): boolean { return this.originals.has(va); }

  get addresses(): bigint[] { return [...this.originals.keys()]; }

  /** Z0: idempotent, as gdb may send it again. */
  async insert(va: bigint, space: AddressSpace): Promise<void> {
    if (this.originals.has(va)) return;
    const original = (await this.vmi.readVA(va, 1, space))[0]!;
    await this.vmi.writeVA(va, Uint8Array.of(INT3), space);
    this.originals.set(va, original);
  }

  /** z0: idempotent too. */
  async remove(va: bigint, space: AddressSpace): Promise<void> {
    const original = this.originals.get(va);
    if (original === undefined) return;
    this.originals.delete(va);
    await this.vmi.writeVA(va, Uint8Array.of(original), space);
  }

  /** Memory as gdb should see it: the original bytes where int3s are. */
  unmask(at: bigint, bytes: Uint8Array): Uint8Array {
    for (const [va, original] of this.originals) if (va >= at && va < at + BigInt(bytes.length)) bytes[Number(va - at)] = original;
    return bytes;
  }

  /** What to write for gdb's write of `data` at `at`: breakpoints keep their int3, the new byte is kept under it. */
  mask(at: bigint, data: Uint8Array): Uint8Array {
    const out = Uint8Array.from(data);
    for (const va of this.originals.keys()) {
      if (va < at || va >= at + BigInt(data.length)) continue;
      this.originals.set(va, data[Number(va - at)]!);
      out[Number(va - at)] = INT3;
    }
    return out;
  }
}
