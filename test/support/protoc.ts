/**
 * `protoc --decode` as a non-TypeScript subscriber would run it: the .proto
 * files alone, bytes on stdin, protobuf text format on stdout. protoc comes
 * from Debian's protobuf-compiler (scripts/ensure-tools.sh installs it).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const PROTO_DIR = join(process.cwd(), 'proto');

/** A decoded text-format message: scalars as their text, nested messages as objects, repeats as arrays. */
export interface TextMessage { [field: string]: string | TextMessage | (string | TextMessage)[] }

/** Decode `bytes` as `type` (e.g. 'tsvmi.v1.MonitorEvent') declared in `file` (relative to proto/). */
export function protocDecode(type: string, file: string, bytes: Uint8Array): string {
  const r = spawnSync('protoc', ['--decode', type, '-I', PROTO_DIR, join(PROTO_DIR, file)], { input: bytes });
  if (r.error) throw new Error(`protoc failed to run: ${r.error.message} (scripts/ensure-tools.sh installs it)`);
  if (r.status !== 0) throw new Error(`protoc --decode ${type} exited ${r.status}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** Parse protoc's text output (one `name: value` or `name {` ... `}` per line) into a tree. */
export function parseText(text: string): TextMessage {
  const root: TextMessage = {};
  const stack: TextMessage[] = [root];
  const add = (msg: TextMessage, name: string, value: string | TextMessage): void => {
    const old = msg[name];
    if (old === undefined) msg[name] = value;
    else if (Array.isArray(old)) old.push(value);
    else msg[name] = [old, value];
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const top = stack[stack.length - 1]!;
    if (line === '}') { stack.pop(); continue; }
    const open = /^(\w+) \{$/.exec(line);
    if (open) { const child: TextMessage = {}; add(top, open[1]!, child); stack.push(child); continue; }
    const field = /^(\w+): (.*)$/.exec(line);
    if (!field) throw new Error(`unexpected protoc output line: ${raw}`);
    add(top, field[1]!, field[2]!);
  }
  return root;
}
