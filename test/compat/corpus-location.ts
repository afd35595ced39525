// Where the shared compatibility corpus lives: ../shared/corpus from the repo root, found from this file
// so the tests work from any working directory.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CORPUS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'corpus');

/** Every manifest file of the corpus, relative to its root, sorted; throws when the corpus is absent. */
export function corpusFiles(): string[] {
  if (!existsSync(CORPUS_DIR)) throw new Error(`the compatibility corpus is missing: expected it at ${CORPUS_DIR} (../shared/corpus from the repo root)`);
  return readdirSync(CORPUS_DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => ['.yaml', '.yml', '.json'].includes(extname(f)))
    .map((f) => relative(CORPUS_DIR, join(CORPUS_DIR, f)))
    .sort();
}
