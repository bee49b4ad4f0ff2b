/**
 * Another process for the end-to-end tests (the tsvmi CLI, the examples, gdb),
 * started without blocking this one: the tests' own children (nats-server,
 * `tsvmi run`) and an in-process domain need the event loop meanwhile.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Started {
  child: ChildProcess;
  /** What it has written so far. */
  io: { out: string; err: string };
  /** Its exit status once its output is all in. */
  exited: Promise<number | null>;
}

export const startNode = (args: string[], env: NodeJS.ProcessEnv = {}): Started => startProcess(process.execPath, args, env);

export function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Started {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const io = { out: '', err: '' };
  child.stdout!.on('data', (b: Buffer) => { io.out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { io.err += b.toString(); });
  return { child, io, exited: new Promise((resolve) => child.on('close', resolve)) };
}
