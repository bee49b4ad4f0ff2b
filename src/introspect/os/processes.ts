/**
 * The demo OS's processes, read from guest memory the way libvmi's process
 * list example walks Linux's `init_task.tasks`: a circular list of `struct
 * task` linked through `next`, rooted at init_task (pid 0, the idle task).
 * Offsets come from the profile.
 */
import type { Profile } from './profile.js';

export interface Process {
  pid: number;
  name: string;
  /** The process's page-table root (CR3): its address space. */
  dtb: bigint;
  state: string;
  /** The task struct's kernel address. */
  task: bigint;
  /** System calls it has made, as the kernel counts them. */
  syscalls: number;
}

/** Guards against a corrupt or changing list: no demo OS has this many tasks. */
const MAX_TASKS = 4096;

export async function listProcesses(readKernel: (va: bigint, length: number) => Promise<Uint8Array>, profile: Profile): Promise<Process[]> {
  const t = profile.task, out: Process[] = [];
  let at = profile.initTask;
  do {
    const b = await readKernel(at, t.size);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const nameBytes = b.subarray(t.name, t.name + t.nameSize), end = nameBytes.indexOf(0);
    out.push({
      pid: v.getUint32(t.pid, true),
      name: Buffer.from(end >= 0 ? nameBytes.subarray(0, end) : nameBytes).toString('latin1'),
      dtb: v.getBigUint64(t.cr3, true),
      state: profile.taskStates.get(v.getUint32(t.state, true)) ?? `state ${v.getUint32(t.state, true)}`,
      task: at,
      syscalls: Number(v.getBigUint64(t.nrSyscalls, true)),
    });
    at = v.getBigUint64(t.next, true);
    if (out.length > MAX_TASKS) throw new Error(`the task list does not come back to init_task after ${MAX_TASKS} tasks`);
  } while (at !== profile.initTask);
  return out;
}
