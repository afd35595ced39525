// What the admission tests share: sending a manifest to the cluster the way a raw client does (a POST
// with no fieldValidation, optionally dry-run so nothing is stored or started) and reading the answer as
// the same shape virtctl validate gives — accepted or refused, and the field paths.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findServedKind } from '../../virt/api/kinds.js';
import { validateDocument } from '../../virt/api/validation/validate.js';
import { parseYamlDocuments } from '../../virt/cli/validate/yaml-documents.js';
import { CORPUS_DIR, corpusFiles } from '../compat/corpus-location.js';
import { HAND_WRITTEN } from '../compat/hand-written-manifests.js';
import { api, rawRequest } from './kube-api.js';
import { STACK_LOCK, STACK_NAMESPACE } from './stack.js';

export interface ClusterAnswer {
  code: number;
  accepted: boolean;
  /** The refused fields (status.details.causes), sorted and unique; empty when accepted or when none were given. */
  paths: string[];
  message: string;
  /** The stored (or dry-run) object when accepted. */
  object?: Record<string, unknown>;
}

/** JSON as sent on the wire; a BigInt (a hostile value) is written as its digits, as a YAML client would. */
export function wireJson(doc: unknown): string {
  const marks: string[] = [];
  const text = JSON.stringify(doc, (_k, v: unknown) => {
    if (typeof v !== 'bigint') return v;
    marks.push(v.toString());
    return `\u0000big${marks.length - 1}\u0000`;
  });
  return (text ?? 'null').replace(/"\u0000big(\d+)\u0000"/g, (_m, i: string) => marks[Number(i)] ?? '0');
}

export function collectionOf(doc: Record<string, unknown>, namespace: string): string | undefined {
  const served = findServedKind(String(doc.apiVersion), String(doc.kind));
  if (!served) return undefined;
  return `/apis/${served.group}/${served.version}/namespaces/${namespace}/${served.plural}`;
}

/** POSTs `body` (a document's wire JSON) to its kind's collection in `namespace`; no fieldValidation parameter. */
export async function sendToCluster(collection: string, body: string, opts: { dryRun?: boolean } = {}): Promise<ClusterAnswer> {
  const r = await rawRequest('POST', `${collection}${opts.dryRun ? '?dryRun=All' : ''}`, body, 'application/json', 30_000);
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(r.body) as Record<string, unknown>;
  } catch {
    // Not JSON: the raw text is the message.
  }
  const accepted = r.code >= 200 && r.code < 300;
  const causes = ((parsed.details as { causes?: { field?: string }[] } | undefined)?.causes ?? []).map((c) => c.field ?? '').filter(Boolean);
  return { code: r.code, accepted, paths: [...new Set(causes)].sort(), message: typeof parsed.message === 'string' ? parsed.message : r.body, ...(accepted ? { object: parsed } : {}) };
}

export function validatorPaths(doc: unknown): { accepted: boolean; paths: string[] } {
  const r = validateDocument(doc);
  return { accepted: r.outcome !== 'rejected', paths: [...new Set(r.errors.map((e) => e.path))].sort() };
}

/**
 * What the cluster answers for a document the validator judged `want`: the same, except that virt-api also
 * checks a migration against the cluster (its VMI must exist and run) after the validator, and no VMI runs
 * in these tests' namespaces — so a migration the validator accepts is refused naming spec.vmiName.
 */
export function clusterVerdict(doc: unknown, want: { accepted: boolean; paths: string[] }): { accepted: boolean; paths: string[]; message?: RegExp } {
  const kind = typeof doc === 'object' && doc !== null ? (doc as { kind?: unknown }).kind : undefined;
  if (kind === 'VirtualMachineInstanceMigration' && want.accepted) return { accepted: false, paths: ['spec.vmiName'], message: /spec\.vmiName: VirtualMachineInstance \S+ does not exist/ };
  return want;
}

export interface CorpusDocument {
  file: string;
  index: number;
  value: Record<string, unknown>;
}

export function corpusDocuments(): CorpusDocument[] {
  const out: CorpusDocument[] = [];
  for (const file of corpusFiles()) {
    for (const d of parseYamlDocuments(readFileSync(join(CORPUS_DIR, file), 'utf8'))) {
      if (d.kind === 'object') out.push({ file, index: d.index, value: d.value as Record<string, unknown> });
    }
  }
  return out;
}

/** The property test's starting points: every accepted corpus document of a served kind, and the hand-written ones. */
export function seedDocuments(): Record<string, unknown>[] {
  const corpus = corpusDocuments().map((d) => d.value).filter((v) => validateDocument(v).outcome === 'accepted' && findServedKind(String(v.apiVersion), String(v.kind)));
  return [...corpus, ...HAND_WRITTEN.map((d) => structuredClone(d))];
}

export interface ApiPod {
  name: string;
  restarts: number;
  ready: boolean;
}

export async function apiPods(): Promise<ApiPod[]> {
  const list = await api<{ items: { metadata: { name: string }; status?: { containerStatuses?: { restartCount: number; ready: boolean }[] } }[] }>('GET', `/api/v1/namespaces/${STACK_NAMESPACE}/pods?labelSelector=kubevirt.io%3Dvirt-api`);
  return list.items
    .map((p) => ({ name: p.metadata.name, restarts: (p.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0), ready: (p.status?.containerStatuses ?? []).every((c) => c.ready) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Holds the stack lock (the one ensureStack installs under) until the returned function is called: a test
 * that changes the installed Deployment for a while keeps a concurrent `stack:up` from putting it back
 * mid-test. Others' installs wait for it; they do not fail.
 */
export async function holdStackLock(): Promise<() => Promise<void>> {
  const { spawn } = await import('node:child_process');
  const child = spawn('flock', [STACK_LOCK, 'sh', '-c', 'echo locked; read _'], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.on('exit', (code) => reject(new Error(`flock ${STACK_LOCK} exited with ${code} before taking the lock`)));
  });
  return async () => {
    child.stdin.end('\n');
    await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.on('exit', () => resolve())));
  };
}
