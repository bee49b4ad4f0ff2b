/**
 * Assemble Intel-syntax x86-64 snippets with GNU as (part of the gcc toolchain
 * the project already requires), for tests. Many snippets go through one `as`
 * run; each is delimited by symbols so its bytes can be cut out again.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cache = new Map<string, Uint8Array>();

/** Assemble each snippet (lines separated by ';' or newlines) at address 0 of its own. */
export function assembleMany(snippets: string[]): Uint8Array[] {
  const todo = [...new Set(snippets.filter((s) => !cache.has(s)))];
  if (todo.length > 0) {
    const dir = mkdtempSync(join(tmpdir(), 'tsvmi-asm-'));
    try {
      const src = ['.intel_syntax noprefix', '.text'];
      todo.forEach((s, k) => src.push(`__s${k}:`, ...s.split(/[;\n]/).map((l) => l.trim()).filter(Boolean), `__e${k}:`));
      writeFileSync(join(dir, 'a.s'), src.join('\n') + '\n');
      execFileSync('as', ['--64', '-o', join(dir, 'a.o'), join(dir, 'a.s')], { stdio: ['ignore', 'ignore', 'pipe'] });
      execFileSync('objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'a.o'), join(dir, 'a.bin')]);
      const bin = readFileSync(join(dir, 'a.bin'));
      const syms = new Map<string, number>();
      for (const line of execFileSync('nm', [join(dir, 'a.o')], { encoding: 'utf8' }).split('\n')) {
        const [addr, , name] = line.trim().split(/\s+/);
        if (name) syms.set(name, parseInt(addr!, 16));
      }
      todo.forEach((s, k) => cache.set(s, new Uint8Array(bin.subarray(syms.get(`__s${k}`)!, syms.get(`__e${k}`)!))));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return snippets.map((s) => cache.get(s)!);
}

export const assemble = (snippet: string): Uint8Array => assembleMany([snippet])[0]!;
