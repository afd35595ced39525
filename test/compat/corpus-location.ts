// Where the shared compatibility corpus lives: `../shared/corpus` beside the checkout. A clean clone made
// elsewhere (CI clones into a temporary folder) finds it beside the repository it was cloned from, or
// through VIRTSTACK_CORPUS. Absent everywhere, the tests fail and say where they looked; they never skip.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function originCheckout(): string | undefined {
  try {
    const url = execFileSync('git', ['-C', repoRoot, 'config', '--get', 'remote.origin.url'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const path = url.startsWith('file://') ? url.slice('file://'.length) : url;
    return isAbsolute(path) && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

export function corpusCandidates(): string[] {
  const origin = originCheckout();
  return [
    ...(process.env.VIRTSTACK_CORPUS ? [resolve(process.env.VIRTSTACK_CORPUS)] : []),
    join(repoRoot, '..', 'shared', 'corpus'),
    ...(origin ? [join(origin, '..', 'shared', 'corpus')] : []),
  ];
}

export const CORPUS_DIR = corpusCandidates().find((d) => existsSync(d)) ?? join(repoRoot, '..', 'shared', 'corpus');

/** Every manifest file of the corpus, relative to its root, sorted; throws when the corpus is absent. */
export function corpusFiles(): string[] {
  if (!existsSync(CORPUS_DIR)) {
    throw new Error(`the compatibility corpus is missing; looked in: ${corpusCandidates().join(', ')} (set VIRTSTACK_CORPUS to its folder)`);
  }
  return readdirSync(CORPUS_DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => ['.yaml', '.yml', '.json'].includes(extname(f)))
    .map((f) => relative(CORPUS_DIR, join(CORPUS_DIR, f)))
    .sort();
}
