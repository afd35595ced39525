// Every document of the compatibility corpus gets exactly the answer corpus-table.ts states, from the
// validator and from the compiled `virtctl validate` alike.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { validateDocument } from '../../virt/api/validation/validate.js';
import { parseYamlDocuments } from '../../virt/cli/validate/yaml-documents.js';
import { runCompiledVirtctl } from '../../virt/cli/testing/compiled-virtctl.js';
import { CORPUS_TABLE, type CorpusEntry } from './corpus-table.js';
import { CORPUS_DIR, corpusFiles } from './corpus-location.js';

interface Answer {
  kind: string | null;
  name: string | null;
  outcome: string;
  paths: string[];
}

const key = (file: string, index: number) => `${file}#${index}`;
const expected = (e: CorpusEntry): Answer => ({ kind: e.kind, name: e.name, outcome: e.outcome, paths: e.outcome === 'rejected' ? [...e.paths].sort() : [] });
const uniqueSorted = (paths: string[]) => [...new Set(paths)].sort();

function validatorAnswers(): Map<string, Answer> {
  const out = new Map<string, Answer>();
  for (const file of corpusFiles()) {
    for (const doc of parseYamlDocuments(readFileSync(join(CORPUS_DIR, file), 'utf8'))) {
      if (doc.kind === 'malformed') throw new Error(`${file}:${doc.line}: the corpus must be valid YAML: ${doc.message}`);
      const r = validateDocument(doc.value);
      out.set(key(file, doc.index), { kind: r.kind ?? null, name: r.name ?? null, outcome: r.outcome, paths: uniqueSorted(r.errors.map((e) => e.path)) });
    }
  }
  return out;
}

describe('compatibility corpus table', () => {
  it('has one entry per document, each rejection with its paths and a one-line reason', () => {
    const keys = CORPUS_TABLE.map((e) => key(e.file, e.index));
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
    for (const e of CORPUS_TABLE) {
      if (e.outcome !== 'rejected') continue;
      expect(e.paths.length).toBeGreaterThan(0);
      expect(e.why.trim().length).toBeGreaterThan(10);
      expect(e.why).not.toMatch(/\n/);
    }
  });
});

describe('validateDocument on the compatibility corpus', () => {
  const actual = validatorAnswers();

  it('finds every corpus document in the table, and every table entry in the corpus', () => {
    const table = new Set(CORPUS_TABLE.map((e) => key(e.file, e.index)));
    expect([...actual.keys()].filter((k) => !table.has(k))).toEqual([]);
    expect([...table].filter((k) => !actual.has(k))).toEqual([]);
  });

  it.each(CORPUS_TABLE.map((e) => [key(e.file, e.index), e] as const))('%s', (k, entry) => {
    expect(actual.get(k)).toEqual(expected(entry));
  });
});

describe('virtctl validate (compiled) on the compatibility corpus', () => {
  let actual: Map<string, Answer>;
  let status: number | null;
  let summary: Record<string, unknown>;

  beforeAll(() => {
    const run = runCompiledVirtctl(['validate', '-o', 'json', '-f', CORPUS_DIR]);
    status = run.status;
    if (run.stderr) throw new Error(`virtctl wrote to stderr: ${run.stderr}`);
    const report = JSON.parse(run.stdout) as { documents: { file: string; index: number; kind: string | null; name: string | null; outcome: string; errors: { path: string }[] }[]; summary: Record<string, unknown> };
    summary = report.summary;
    actual = new Map(report.documents.map((d) => [key(relative(CORPUS_DIR, d.file), d.index), { kind: d.kind, name: d.name, outcome: d.outcome, paths: uniqueSorted(d.errors.map((e) => e.path)) }]));
  });

  it('reads the whole corpus directory and fails it, since the table has rejections', () => {
    const count = (o: string) => CORPUS_TABLE.filter((e) => e.outcome === o).length;
    expect(status).toBe(1);
    expect(summary).toMatchObject({ documents: CORPUS_TABLE.length, accepted: count('accepted'), rejected: count('rejected'), ignored: count('ignored'), malformed: 0, unreadable: 0 });
    const table = new Set(CORPUS_TABLE.map((e) => key(e.file, e.index)));
    expect([...actual.keys()].filter((k) => !table.has(k))).toEqual([]);
  });

  it.each(CORPUS_TABLE.map((e) => [key(e.file, e.index), e] as const))('%s', (k, entry) => {
    expect(actual.get(k)).toEqual(expected(entry));
  });
});
