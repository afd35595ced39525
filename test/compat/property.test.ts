// Random mutations of valid manifests — wrong types, deleted fields, unknown keys, huge values, null,
// lists for maps and maps for lists — never make validateDocument throw: each gets a well-formed answer
// whose errors name paths that are really in the document.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { findServedKind, type ServedKind } from '../../virt/api/kinds.js';
import { OBJECT_META_FIELDS } from '../../virt/api/object-meta.js';
import type { FieldError } from '../../virt/api/validation/field-error.js';
import { validateDocument, type DocumentResult } from '../../virt/api/validation/validate.js';
import { parsePath as splitFieldPath } from '../../virt/api/validation/field-path.js';
import { parseYamlDocuments } from '../../virt/cli/validate/yaml-documents.js';
import { CORPUS_DIR, corpusFiles } from './corpus-location.js';
import { HAND_WRITTEN } from './hand-written-manifests.js';
import { allPaths, deleteAt, fieldPath, isObject, lookup, setAt } from './json-tree.js';
import { hostileValue, mutate, mutation, type Mutation } from './mutations.js';
import { declaresPath, fixedObjects } from './schema-walk.js';

const REASONS = new Set(['UnknownField', 'UnsupportedField', 'TypeMismatch', 'Required', 'NotSupportedValue', 'Invalid', 'Conflict', 'Duplicate', 'NotFound']);

/** Valid starting points: every accepted corpus document and the hand-written ones. */
function seeds(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const file of corpusFiles()) {
    for (const doc of parseYamlDocuments(readFileSync(join(CORPUS_DIR, file), 'utf8'))) {
      if (doc.kind === 'object' && validateDocument(doc.value).outcome === 'accepted') out.push(doc.value as Record<string, unknown>);
    }
  }
  return [...out, ...HAND_WRITTEN.map((d) => structuredClone(d))];
}

const SEEDS = seeds();
const served = (doc: Record<string, unknown>): ServedKind => findServedKind(String(doc.apiVersion), String(doc.kind)) as ServedKind;

// Plain checks rather than expect(): a 5000-key map yields 5000 errors, and expect() per field made the
// test ten times slower. Each failure says which rule broke and on what.
function fail(rule: string, detail: unknown): never {
  throw new Error(`${rule}: ${JSON.stringify(detail, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x))?.slice(0, 500)}`);
}

function checkWellFormed(doc: unknown, r: DocumentResult): void {
  if (!['accepted', 'rejected', 'ignored'].includes(r.outcome)) fail('outcome is accepted, rejected or ignored', r.outcome);
  if (!Array.isArray(r.errors)) fail('errors is a list', r.errors);
  if ((r.outcome === 'rejected') !== (r.errors.length > 0)) fail('rejected exactly when there are errors', { outcome: r.outcome, errors: r.errors.length });
  if (r.outcome === 'ignored' && typeof r.note !== 'string') fail('an ignored document carries a note', r);
  for (const opt of ['apiVersion', 'kind', 'name', 'namespace'] as const) if (r[opt] !== undefined && typeof r[opt] !== 'string') fail(`${opt} is a string when present`, r[opt]);
  for (const e of r.errors) {
    if (typeof e.path !== 'string' || e.path.length === 0) fail('an error has a non-empty path', e);
    if (!REASONS.has(e.reason)) fail('an error has a known reason', e);
    if (typeof e.message !== 'string' || e.message.length === 0) fail('an error has a message', e);
    if (e.hint !== undefined && typeof e.hint !== 'string') fail('a hint is a string', e);
    if (e.allowed !== undefined && typeof e.allowed !== 'string') fail('allowed is a string', e);
  }
}


/**
 * An error names a path that is in the document, or a required field whose parent is. Resolved by search,
 * not by splitting: a key may itself contain "." or "[" (an unknown key "a.b" is reported as x.a.b).
 */
function checkPathsExist(doc: unknown, r: DocumentResult): void {
  for (const e of r.errors) {
    if (e.path === '(document)') {
      if (isObject(doc)) fail('(document) names a document that is not a map', e);
      continue;
    }
    if (pathResolves(doc, e.path, e.reason === 'Required')) continue;
    // A field to add may be named where it is absent: a required field below a missing parent (requests.storage
    // when requests is absent), or a defaulted one to set otherwise (efi.secureBoot, which upstream defaults to
    // true). Then the declaration must have that field, so the path tells the user exactly what to write.
    const kind = isObject(doc) ? findServedKind(String(doc.apiVersion), String(doc.kind)) : undefined;
    const segs = splitFieldPath(e.path);
    const toAdd = kind !== undefined && declaresPath(kind, segs) && (e.reason === 'Required' || lookup(doc, segs.slice(0, -1)).found);
    if (!toAdd) fail('an error path is in the document, or a declared field to add there', e);
  }
}

function pathResolves(node: unknown, path: string, lastMayBeMissing: boolean): boolean {
  // The plain reading first; the search below is for keys with "." or "[" in them, and costs a scan of every key.
  const segs = splitFieldPath(path);
  if (lookup(node, segs).found || (lastMayBeMissing && isObject(lookup(node, segs.slice(0, -1)).value))) return true;
  return pathSearch(node, path, lastMayBeMissing);
}

/** `rest` is what is left of the path: the whole path at the root, then ".name…" or "[…]…" below it. */
function pathSearch(node: unknown, rest: string, lastMayBeMissing: boolean, atRoot = true): boolean {
  if (rest === '') return true;
  const tails: [unknown, string][] = [];
  if (Array.isArray(node)) {
    const m = /^\[(\d+)\]/.exec(rest);
    if (m && Number(m[1]) < node.length) tails.push([node[Number(m[1])], rest.slice(m[0].length)]);
  } else if (isObject(node)) {
    const body = atRoot ? rest : rest.startsWith('.') ? rest.slice(1) : undefined;
    for (const k of Object.keys(node)) {
      for (const [spelled, source] of [[k, body], [`[${k}]`, rest]] as const) {
        if (source !== undefined && source.startsWith(spelled) && /^($|[.[])/.test(source.slice(spelled.length))) tails.push([node[k], source.slice(spelled.length)]);
      }
    }
    if (lastMayBeMissing && ((body !== undefined && /^[^.[]+$/.test(body)) || /^\[[^\]]*\]$/.test(rest))) return true;
  }
  return tails.some(([child, tail]) => pathSearch(child, tail, lastMayBeMissing, false));
}

/**
 * A text image of a document, to see that validation leaves it as it was. Not a deep-equality check: objects
 * from the YAML parser and from structuredClone may come from different realms under jest, with different prototypes.
 */
function snapshot(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'bigint') return `bigint:${x}`;
    if (typeof x === 'number' && !Number.isFinite(x)) return `number:${x}`;
    if (x === undefined) return 'undefined';
    return x;
  });
}

function checkMutated(seedPick: number, muts: Mutation[]): void {
  let doc: unknown = structuredClone(SEEDS[seedPick % SEEDS.length]);
  for (const m of muts) doc = mutate(doc, m);
  const before = snapshot(doc);
  let r: DocumentResult;
  r = validateDocument(doc);
  checkWellFormed(doc, r);
  checkPathsExist(doc, r);
  if (snapshot(doc) !== before) fail('validateDocument leaves its input unchanged', muts);
}

describe('validateDocument under random mutation', () => {
  it('starts from valid manifests of every served kind', () => {
    expect(new Set(SEEDS.map((d) => d.kind))).toEqual(new Set(['VirtualMachine', 'VirtualMachineInstance', 'VirtualMachineInstanceMigration', 'VirtualMachinePool', 'DataVolume']));
    for (const d of SEEDS) expect(validateDocument(d)).toMatchObject({ outcome: 'accepted', errors: [] });
  });

  it('never throws, answers in a well-formed result, names only paths in the document, and leaves it unchanged', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }), checkMutated),
      { numRuns: 2500 },
    );
  });

  // Placed, not drawn, each kind of place once. Where the validator looks for a "did you mean" (an enum, the kind,
  // an unknown key) it compares the string with every allowed name, with no cutoff for length: a megabyte costs
  // seconds there (reported to virt/api), so those places get 64 KiB — long enough to show the cost grows with it.
  const MEGABYTE = 'a'.repeat(1 << 20);
  const MEGABYTE_DIGITS = '9'.repeat(1 << 20);
  const SUGGESTED = 'a'.repeat(1 << 16);
  const VM_SEED = HAND_WRITTEN[0] as Record<string, unknown>;
  it.each([
    ['1 MiB', 'the name', ['metadata', 'name'], MEGABYTE],
    ['1 MiB', 'a quantity', ['spec', 'template', 'spec', 'domain', 'memory', 'guest'], MEGABYTE_DIGITS],
    ['1 MiB', 'a label value', ['metadata', 'labels', 'app'], MEGABYTE],
    ['1 MiB', 'a label key', ['spec', 'template', 'metadata', 'labels', MEGABYTE], 'x'],
    ['1 MiB', 'a URL', ['spec', 'dataVolumeTemplates', 0, 'spec', 'source', 'http', 'url'], MEGABYTE],
    ['64 KiB', 'an enum', ['spec', 'runStrategy'], SUGGESTED],
    ['64 KiB', 'the kind', ['kind'], SUGGESTED],
    ['64 KiB', 'an unknown key', ['spec', SUGGESTED], 1],
  ] as const)('answers a %s string at %s', (_size, _what, path, value) => {
    const doc = structuredClone(VM_SEED);
    setAt(doc, path, value);
    const before = snapshot(doc);
    const r = validateDocument(doc);
    checkWellFormed(doc, r);
    checkPathsExist(doc, r);
    expect(r.outcome).toBe('rejected');
    expect(snapshot(doc) === before).toBe(true);
  });

  it('answers any value at all, not only maps', () => {
    fc.assert(
      fc.property(hostileValue, (h) => {
        const v = h.make();
        const r = validateDocument(v);
        checkWellFormed(v, r);
        checkPathsExist(v, r);
      }),
      { numRuns: 300 },
    );
  });

  it('reports an unknown key inserted into a declared object at exactly that path', () => {
    fc.assert(
      // undefined is left out: it cannot come from YAML or JSON, and a TypeScript caller's `{x: undefined}` means "not set".
      fc.property(fc.nat(), fc.nat(), fc.stringMatching(/^[a-z]{3,10}$/), hostileValue.filter((v) => v.make() !== undefined), (seedPick, sitePick, suffix, value) => {
        const doc = structuredClone(SEEDS[seedPick % SEEDS.length]) as Record<string, unknown>;
        const sites = fixedObjects(served(doc), doc, OBJECT_META_FIELDS);
        const site = sites[sitePick % sites.length];
        if (!site) throw new Error(`no declared object in ${String(doc.kind)}`);
        // "zz" keeps the key clear of every real field name, upstream's included.
        const name = `zz${suffix}`;
        setAt(doc, [...site.path, name], value.make());
        const r = validateDocument(doc);
        const at = fieldPath([...site.path, name]);
        expect(r.outcome).toBe('rejected');
        expect(r.errors.filter((e) => e.path === at).map((e) => e.reason)).toEqual(['UnknownField']);
      }),
      { numRuns: 600 },
    );
  });

  it('reports a deleted required field at its path', () => {
    const cases = SEEDS.flatMap((doc) => fixedObjects(served(doc), doc, OBJECT_META_FIELDS).flatMap((site) => site.required.map((field) => ({ doc, path: [...site.path, field] }))));
    expect(cases.length).toBeGreaterThan(20);
    for (const { doc, path } of cases) {
      const mutated = structuredClone(doc);
      deleteAt(mutated, path);
      const r = validateDocument(mutated);
      expect({ path: fieldPath(path), outcome: r.outcome, required: r.errors.some((e) => e.path === fieldPath(path) && e.reason === 'Required') }).toEqual({ path: fieldPath(path), outcome: 'rejected', required: true });
    }
  });
});

describe('answers that once broke these properties (regressions)', () => {
  const vmi = (guest: unknown, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'x' },
    spec: { domain: { memory: { guest }, devices: {} }, ...extra },
  });

  it('memory.guest: null (YAML "guest:" with nothing after it) is treated as unset, not a crash', () => {
    expect(validateDocument(vmi(null))).toMatchObject({ outcome: 'accepted', errors: [] });
  });

  it('a list under a pool\'s selector.matchLabels is a type error at that field', () => {
    const pool = {
      apiVersion: 'pool.kubevirt.io/v1beta1', kind: 'VirtualMachinePool', metadata: { name: 'p' },
      spec: { replicas: 1, selector: { matchLabels: ['x'] }, virtualMachineTemplate: { metadata: { labels: { a: 'b' } }, spec: { runStrategy: 'Always', template: { spec: vmi('128Mi').spec } } } },
    };
    expect(validateDocument(pool).errors.map((e) => [e.path, e.reason])).toEqual([['spec.selector.matchLabels', 'TypeMismatch']]);
  });

  it('an unknown top-level key "" is reported at a bracketed, non-empty path', () => {
    expect(validateDocument({ ...vmi('128Mi'), '': 1 }).errors.map((e) => e.path)).toEqual(['[]']);
  });
});
