/**
 * A minimal ELF64 reader: the header, program headers and notes, which is all
 * a kernel loader needs (System V gABI, "ELF Header" and "Program Header").
 */
import { LoaderError } from './errors.js';

export const PT_LOAD = 1;
export const PT_NOTE = 4;

export interface Segment {
  type: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  flags: number;
}

export interface Note {
  name: string;
  type: number;
  desc: Uint8Array;
}

export interface ElfImage {
  entry: number;
  machine: number;
  segments: Segment[];
  notes: Note[];
  bytes: Uint8Array;
}

const EM_X86_64 = 62;
const ET_EXEC = 2;

/** 64-bit little-endian field as a JS number; rejects values that would lose precision. */
function u64(v: DataView, at: number, what: string): number {
  const lo = v.getUint32(at, true), hi = v.getUint32(at + 4, true);
  if (hi >= 0x200000) {
    // Higher-half kernels use addresses above 2^53; keep them as canonical negative numbers.
    if (hi >= 0xffff8000) return (hi - 0x100000000) * 4294967296 + lo;
    throw new LoaderError(`${what} 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')} is not a canonical address`);
  }
  return hi * 4294967296 + lo;
}

export function parseElf(bytes: Uint8Array): ElfImage {
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new LoaderError('not an ELF file (bad magic)');
  }
  if (bytes[4] !== 2) throw new LoaderError('only 64-bit ELF (ELFCLASS64) kernels are supported');
  if (bytes[5] !== 1) throw new LoaderError('only little-endian ELF files are supported');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = v.getUint16(16, true), machine = v.getUint16(18, true);
  if (machine !== EM_X86_64) throw new LoaderError(`ELF machine ${machine} is not x86-64 (${EM_X86_64})`);
  if (type !== ET_EXEC) throw new LoaderError(`ELF type ${type} is not an executable (ET_EXEC); link the kernel with -static -no-pie`);
  const entry = u64(v, 24, 'entry point');
  const phoff = u64(v, 32, 'program header offset');
  const phentsize = v.getUint16(54, true), phnum = v.getUint16(56, true);
  if (phnum === 0) throw new LoaderError('ELF has no program headers');
  if (phoff + phnum * phentsize > bytes.length) throw new LoaderError('ELF program headers run past the end of the file');
  const segments: Segment[] = [];
  for (let k = 0; k < phnum; k++) {
    const at = phoff + k * phentsize;
    const s: Segment = {
      type: v.getUint32(at, true), flags: v.getUint32(at + 4, true),
      offset: u64(v, at + 8, 'segment offset'), vaddr: u64(v, at + 16, 'segment vaddr'), paddr: u64(v, at + 24, 'segment paddr'),
      filesz: u64(v, at + 32, 'segment size'), memsz: u64(v, at + 40, 'segment size'),
    };
    if (s.type === PT_LOAD && s.offset + s.filesz > bytes.length) throw new LoaderError(`segment ${k} runs past the end of the file`);
    segments.push(s);
  }
  return { entry, machine, segments, notes: segments.filter((s) => s.type === PT_NOTE).flatMap((s) => readNotes(bytes, v, s)), bytes };
}

function readNotes(bytes: Uint8Array, v: DataView, s: Segment): Note[] {
  const notes: Note[] = [];
  const end = Math.min(s.offset + s.filesz, bytes.length);
  const align4 = (n: number): number => (n + 3) & ~3;
  for (let at = s.offset; at + 12 <= end;) {
    const namesz = v.getUint32(at, true), descsz = v.getUint32(at + 4, true), type = v.getUint32(at + 8, true);
    const nameAt = at + 12, descAt = nameAt + align4(namesz);
    if (descAt + descsz > end) throw new LoaderError('truncated ELF note');
    const name = new TextDecoder().decode(bytes.subarray(nameAt, nameAt + Math.max(0, namesz - 1)));
    notes.push({ name, type, desc: bytes.slice(descAt, descAt + descsz) });
    at = descAt + align4(descsz);
  }
  return notes;
}
