/**
 * An OS profile: where things are in a guest kernel, as libvmi's Linux offsets
 * or a Rekall profile. Generated from the kernel's ELF symbols plus the small
 * JSON of structure offsets the guest build emits (guests/build/os/offsets.json,
 * from asm-offsets.c), so nothing is hard-coded here.
 */
import { readFileSync } from 'node:fs';
import { elfSymbols } from './elf-symbols.js';

/** The offsets file of the demo OS (guests/os/kernel/asm-offsets.c). */
export interface OffsetsFile {
  kernel: string;
  version: number;
  init_task: string;
  syscall_entry: string;
  syscall_exit: string;
  task: Record<string, number>;
  task_field_size: Record<string, number>;
  task_states: Record<string, number>;
  syscalls: Record<string, number>;
  symbols: Record<string, string>;
}

export interface Profile {
  kernel: string;
  symbols: ReadonlyMap<string, bigint>;
  task: { size: number; next: number; pid: number; state: number; name: number; nameSize: number; cr3: number; parent: number; nrSyscalls: number };
  taskStates: ReadonlyMap<number, string>;
  syscalls: ReadonlyMap<number, string>;
  initTask: bigint;
  syscallEntry: bigint;
  syscallExit: bigint;
}

export class ProfileError extends Error {
  override readonly name: string = 'ProfileError';
}

/** Build a profile from the kernel image and its offsets file. */
export function buildProfile(kernelImage: Uint8Array, offsets: OffsetsFile): Profile {
  const symbols = elfSymbols(kernelImage);
  const sym = (name: string): bigint => symbols.get(name) ?? fail(`the kernel has no symbol ${name}`);
  const field = (name: string): number => offsets.task[name] ?? fail(`offsets.json: task has no field ${name}`);
  return {
    kernel: offsets.kernel,
    symbols,
    task: {
      size: field('size'), next: field('next'), pid: field('pid'), state: field('state'), name: field('name'),
      nameSize: offsets.task_field_size['name'] ?? 16, cr3: field('cr3'), parent: field('parent'), nrSyscalls: field('nr_syscalls'),
    },
    taskStates: new Map(Object.entries(offsets.task_states).map(([k, v]) => [v, k])),
    syscalls: new Map(Object.entries(offsets.syscalls).map(([k, v]) => [v, k])),
    initTask: sym(offsets.init_task),
    syscallEntry: sym(offsets.syscall_entry),
    syscallExit: sym(offsets.syscall_exit),
  };
}

/** Load the profile of a kernel built with its offsets file next to it (or at `offsetsPath`). */
export function loadProfile(kernelPath: string, offsetsPath = kernelPath.replace(/[^/]*$/, 'offsets.json')): Profile {
  let offsets: OffsetsFile;
  try {
    offsets = JSON.parse(readFileSync(offsetsPath, 'utf8')) as OffsetsFile;
  } catch (e) {
    throw new ProfileError(`cannot read the offsets file ${offsetsPath}: ${(e as Error).message}`, { cause: e });
  }
  return buildProfile(readFileSync(kernelPath), offsets);
}

function fail(message: string): never {
  throw new ProfileError(message);
}
