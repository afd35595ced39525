// virtctl validate's line mapping under random mutation: each mutated manifest is written out as YAML
// and checked through the CLI's own parsing; every error must land on a line of the file, and on the
// line that holds its field when the field is there.
import fc from 'fast-check';
import { stringify } from 'yaml';
import { validateDocument } from '../../virt/api/validation/validate.js';
import { parsePath as splitFieldPath } from '../../virt/api/validation/field-path.js';
import { validateInputs } from '../../virt/cli/validate/validate-inputs.js';
import { parseYamlDocuments } from '../../virt/cli/validate/yaml-documents.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS_DIR, corpusFiles } from './corpus-location.js';
import { HAND_WRITTEN } from './hand-written-manifests.js';
import { lookup } from './json-tree.js';
import { mutate, mutationOf, plainValue } from './mutations.js';

const SEEDS: unknown[] = [
  ...corpusFiles().flatMap((f) => parseYamlDocuments(readFileSync(join(CORPUS_DIR, f), 'utf8')).flatMap((d) => (d.kind === 'object' && validateDocument(d.value).outcome !== 'ignored' ? [d.value] : []))),
  ...HAND_WRITTEN,
];

// Keys yaml.stringify writes as they are, so the line's text must contain them.
const PLAIN_KEY = /^[A-Za-z][A-Za-z0-9_-]*$/;

describe('virtctl validate line mapping under random mutation', () => {
  it('puts every error on a line of the file, and on its own key\'s line when the field is there', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(mutationOf(plainValue), { minLength: 1, maxLength: 3 }), (seedPick, muts) => {
        let doc: unknown = structuredClone(SEEDS[seedPick % SEEDS.length]);
        for (const m of muts) doc = mutate(doc, m);
        const text = `# mutated\n${stringify(doc)}`;
        const lines = text.split('\n');
        const report = validateInputs({ inputs: [{ file: 'm.yaml', text }], unreadable: [] });
        for (const d of report.documents) {
          for (const e of d.errors) {
            if (!(e.line >= 1 && e.line <= lines.length)) throw new Error(`${e.path}: line ${e.line} is outside the file's ${lines.length} lines`);
            const segs = splitFieldPath(e.path);
            const last = segs.at(-1);
            if (d.item !== undefined || typeof last !== 'string' || !PLAIN_KEY.test(last) || !lookup(doc, segs).found) continue;
            if (!(lines[e.line - 1] ?? '').includes(`${last}:`)) throw new Error(`${e.path} placed on line ${e.line}: ${JSON.stringify(lines[e.line - 1])}\n${text}`);
          }
        }
      }),
      { numRuns: 1500 },
    );
  });
});
