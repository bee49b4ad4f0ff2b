/** `tsvmi mem read|write`: guest memory by virtual (kernel or a process's) or physical address. */
import { parseArgs } from 'node:util';
import type { AddressSpace } from '../../src/introspect/vmi.js';
import { failure, openTarget, profileOf, TARGET_OPTIONS, TARGET_USAGE, UsageError, type Target } from './target.js';

export const MEM_USAGE = `usage: tsvmi mem read ADDR [--len N] [--pid N | --physical] [target] [--json]
       tsvmi mem write ADDR HEXBYTES [--pid N | --physical] [target]

Read guest memory (a hex dump, or JSON) or write it. ADDR is a kernel virtual
address, or a symbol of the kernel (needs its profile); with --pid, a virtual
address in that process; with --physical, a guest-physical address.

  --len N      bytes to read (default 64)
  --after N    embedded: run the guest N retired instructions first (default 10000000)
  -h, --help

${TARGET_USAGE}`;

export async function memCommand(args: string[]): Promise<number> {
  let target: Target | undefined;
  try {
    const { values, positionals } = parseArgs({
      args, allowPositionals: true,
      options: { ...TARGET_OPTIONS, len: { type: 'string' }, pid: { type: 'string' }, physical: { type: 'boolean' }, after: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) { console.log(MEM_USAGE); return 0; }
    const [op, addrText, data] = positionals;
    if (op !== 'read' && op !== 'write') throw new UsageError('expected read or write');
    if (!addrText) throw new UsageError('expected an address');
    if (op === 'write' && (!data || !/^([0-9a-f]{2})+$/i.test(data))) throw new UsageError('expected the bytes to write in hex, e.g. 90cc');
    if (values.pid !== undefined && values.physical) throw new UsageError('--pid and --physical exclude each other');
    const len = Number(values.len ?? 64);
    if (!Number.isInteger(len) || len < 1 || len > 1 << 20) throw new UsageError('--len must be 1..1048576');
    const profile = profileOf(values, false);
    target = await openTarget(values, { role: 'observer', ...(profile ? { profile } : {}) });
    const { vmi, domain } = target;
    if (domain) await domain.run(Number(values.after ?? 10_000_000));
    const addr = /^(0x)?[0-9a-f]+$/i.test(addrText) ? BigInt(addrText.startsWith('0x') ? addrText : `0x${addrText}`) : vmi.symbol(addrText);
    const space: AddressSpace = values.pid !== undefined ? { pid: Number(values.pid) } : 'kernel';
    if (op === 'write') {
      const bytes = Buffer.from(data!, 'hex');
      await (values.physical ? vmi.writePA(addr, bytes) : vmi.writeVA(addr, bytes, space));
      return 0;
    }
    const bytes = values.physical ? await vmi.readPA(addr, len) : await vmi.readVA(addr, len, space);
    if (values.json) { console.log(JSON.stringify({ address: `0x${addr.toString(16)}`, hex: Buffer.from(bytes).toString('hex') })); return 0; }
    for (let k = 0; k < bytes.length; k += 16) {
      const row = bytes.subarray(k, k + 16);
      const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      console.log(`${(addr + BigInt(k)).toString(16).padStart(16, '0')}  ${hex.padEnd(47)}  ${[...row].map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('')}`);
    }
    return 0;
  } catch (e) {
    return failure('mem', MEM_USAGE, e);
  } finally {
    await target?.close();
  }
}
