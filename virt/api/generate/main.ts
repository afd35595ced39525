// `npm run generate`: writes the generated artefacts of virt/api (CRDs) and reports what changed.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrds } from '../crd/render.js';
import { renderReference } from '../docs/render.js';
import { GENERATED_ARGS_FILE, renderComponentArgs } from './component-args.js';

// dist/virt/api/generate → virt/api/crds in the source tree
const crdDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'virt', 'api', 'crds');
mkdirSync(crdDir, { recursive: true });
const files = renderCrds();
let changed = 0;
for (const [name, text] of files) {
  const path = join(crdDir, name);
  let old = '';
  try { old = readFileSync(path, 'utf8'); } catch { /* new file */ }
  if (old !== text) { writeFileSync(path, text); changed++; process.stdout.write(`generate: wrote ${path}\n`); }
}
for (const f of readdirSync(crdDir)) {
  if (f.endsWith('.yaml') && !files.has(f)) { rmSync(join(crdDir, f)); changed++; process.stdout.write(`generate: removed stale ${f}\n`); }
}
process.stdout.write(`generate: ${files.size} CRDs, ${changed} changed\n`);

// The API reference sits beside the CRDs' source: virt/api/docs/reference.md
const refPath = join(crdDir, '..', 'docs', 'reference.md');
const ref = renderReference();
let oldRef = '';
try { oldRef = readFileSync(refPath, 'utf8'); } catch { /* new file */ }
if (oldRef !== ref) { writeFileSync(refPath, ref); process.stdout.write(`generate: wrote ${refPath}\n`); }

// The Pulumi VirtualMachine component's argument interfaces: components/generated/ in the source tree
const argsPath = join(crdDir, '..', '..', '..', GENERATED_ARGS_FILE);
const args = renderComponentArgs();
let oldArgs = '';
try { oldArgs = readFileSync(argsPath, 'utf8'); } catch { /* new file */ }
if (oldArgs !== args) { mkdirSync(dirname(argsPath), { recursive: true }); writeFileSync(argsPath, args); process.stdout.write(`generate: wrote ${argsPath}\n`); }
