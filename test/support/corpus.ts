/** Where the gcc-built guest corpus lives (built by `make -C guests`, which `npm test` runs first). */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const CORPUS_DIR = join(process.cwd(), 'guests/build/corpus');
export const OPT_LEVELS = ['O0', 'O2', 'Os'] as const;

/** Program names that have a freestanding image and a reference output for every level. */
export function corpusPrograms(): string[] {
  if (!existsSync(CORPUS_DIR)) throw new Error(`${CORPUS_DIR} is missing: run 'make -C guests' (npm test does)`);
  const names = new Set(readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.elf')).map((f) => f.replace(/-O[02s]\.elf$/, '')));
  return [...names].filter((n) => OPT_LEVELS.every((o) => existsSync(join(CORPUS_DIR, `${n}-${o}.expected`)))).sort();
}
