// The importer's settings from its environment (IMPORTER_* as the DataVolume controller sets them, see
// virt/import-contract), checked up front so a wrong pod fails at once with the variable's name.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_FILESYSTEM_OVERHEAD, IMPORTER_DATA_DIR, IMPORTER_ENV, IMPORTER_SOURCES, type ImporterSource } from '../import-contract/index.js';
import type { ImportSettings } from './import-disk.js';
import { ImportError } from './import-error.js';

export interface ImporterConfig extends ImportSettings {
  source: ImporterSource;
  /** The DataVolume's uid: the label of the progress metric. */
  ownerUid: string;
  preallocation: boolean;
}

const bad = (name: string, msg: string): ImportError => new ImportError('config', `${name}: ${msg}`, { fatal: true });

/** The PEM files of a mounted certConfigMap (every regular file; ConfigMap mounts link through ..data). */
export function readCaDir(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir)) {
    if (f.startsWith('.')) continue;
    const p = join(dir, f);
    if (statSync(p).isFile()) out.push(readFileSync(p, 'utf8'));
  }
  return out;
}

/**
 * The headers of the mounted secretExtraHeaders Secrets (one folder per Secret, every value a header line),
 * in Secret order then key order; a value that is not "Name: value" is refused later by the http source.
 */
export function readSecretHeaders(dir: string): string[] {
  const out: string[] = [];
  for (const secret of readdirSync(dir).filter((f) => !f.startsWith('.')).sort((x, y) => x.localeCompare(y, undefined, { numeric: true }))) {
    const folder = join(dir, secret);
    if (!statSync(folder).isDirectory()) continue;
    for (const key of readdirSync(folder).filter((f) => !f.startsWith('.')).sort()) {
      const p = join(folder, key);
      if (statSync(p).isFile()) out.push(readFileSync(p, 'utf8').replace(/\r?\n$/, ''));
    }
  }
  return out;
}

export function importerConfig(env: NodeJS.ProcessEnv, dataDir = IMPORTER_DATA_DIR): ImporterConfig {
  const E = IMPORTER_ENV;
  const source = env[E.source] ?? 'http';
  if (!(IMPORTER_SOURCES as readonly string[]).includes(source)) throw bad(E.source, `"${source}" is not one of ${IMPORTER_SOURCES.join(', ')}`);
  const endpoint = env[E.endpoint];
  if (source === 'http' && !endpoint) throw bad(E.endpoint, 'is required for the http source');
  const contentType = env[E.contentType] || 'kubevirt';
  if (contentType !== 'kubevirt' && contentType !== 'archive') throw bad(E.contentType, `"${contentType}" is not kubevirt or archive`);
  const size = env[E.imageSize] ?? '';
  if (!/^\d+$/.test(size) || Number(size) <= 0) throw bad(E.imageSize, `"${size}" is not a size in bytes`);
  const overheadRaw = env[E.filesystemOverhead];
  const overhead = overheadRaw === undefined || overheadRaw === '' ? DEFAULT_FILESYSTEM_OVERHEAD : Number(overheadRaw);
  if (!Number.isFinite(overhead) || overhead < 0 || overhead >= 1) throw bad(E.filesystemOverhead, `"${overheadRaw}" is not a fraction in [0, 1)`);
  const user = env[E.accessKeyId];
  const password = env[E.secretKey];
  let extraHeaders: string[] | undefined;
  if (env[E.extraHeaders]) {
    try {
      const v = JSON.parse(env[E.extraHeaders]!) as unknown;
      if (!Array.isArray(v) || !v.every((h) => typeof h === 'string')) throw new Error('not an array of strings');
      extraHeaders = v as string[];
    } catch (e) {
      throw bad(E.extraHeaders, `not a JSON array of "Name: value" strings (${(e as Error).message})`);
    }
  }
  const secretHeadersDir = env[E.secretHeadersDir];
  if (secretHeadersDir) extraHeaders = [...(extraHeaders ?? []), ...readSecretHeaders(secretHeadersDir)];
  const certDir = env[E.certDir];
  return {
    source: source as ImporterSource,
    ...(endpoint ? { endpoint } : {}),
    contentType,
    claimBytes: Number(size),
    filesystemOverhead: overhead,
    ...(user !== undefined || password !== undefined ? { basicAuth: { user: user ?? '', password: password ?? '' } } : {}),
    ...(certDir ? { ca: readCaDir(certDir) } : {}),
    ...(extraHeaders ? { extraHeaders } : {}),
    ownerUid: env[E.ownerUid] ?? '',
    dataDir,
    preallocation: env[E.preallocation] === 'true',
  };
}
