/**
 * The symbol table of an ELF64 little-endian image (the guest kernel): what a
 * profile needs from it, read from `.symtab` and its string table (System V
 * ABI, "Symbol Table"). The SDK cannot use the hypervisor's loader, and needs
 * symbols it does not.
 */
const SHT_SYMTAB = 2;

export function elfSymbols(image: Uint8Array): Map<string, bigint> {
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (v.getUint32(0) !== 0x7f454c46 || image[4] !== 2 || image[5] !== 1) throw new Error('not a 64-bit little-endian ELF image');
  const shoff = Number(v.getBigUint64(0x28, true)), shentsize = v.getUint16(0x3a, true), shnum = v.getUint16(0x3c, true);
  const section = (k: number) => {
    const at = shoff + k * shentsize;
    return { type: v.getUint32(at + 4, true), offset: Number(v.getBigUint64(at + 0x18, true)), size: Number(v.getBigUint64(at + 0x20, true)), link: v.getUint32(at + 0x28, true), entsize: Number(v.getBigUint64(at + 0x38, true)) };
  };
  const symbols = new Map<string, bigint>();
  for (let k = 0; k < shnum; k++) {
    const s = section(k);
    if (s.type !== SHT_SYMTAB) continue;
    const strtab = section(s.link);
    for (let at = s.offset; at + 24 <= s.offset + s.size; at += s.entsize || 24) {
      const nameOff = v.getUint32(at, true), value = v.getBigUint64(at + 8, true);
      if (nameOff === 0) continue;
      let end = strtab.offset + nameOff;
      while (image[end] !== 0) end++;
      symbols.set(Buffer.from(image.subarray(strtab.offset + nameOff, end)).toString('latin1'), value);
    }
  }
  return symbols;
}
