// The importer's environment as the DataVolume controller sets it: defaults, the values read through, and
// every wrong value refused up front as a fatal config error naming the variable.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_FILESYSTEM_OVERHEAD, IMPORTER_DATA_DIR } from '../import-contract/index.js';
import { ImportError } from './import-error.js';
import { importerConfig, readCaDir, readSecretHeaders } from './importer-config.js';

const base = { IMPORTER_ENDPOINT: 'http://images.example/disk.qcow2', IMPORTER_IMAGE_SIZE: '1073741824', OWNER_UID: 'uid-1' };

function refusal(env: NodeJS.ProcessEnv): ImportError {
  try {
    importerConfig(env);
  } catch (e) {
    if (e instanceof ImportError) return e;
    throw e;
  }
  throw new Error('importerConfig accepted the environment');
}

describe('importerConfig', () => {
  it('defaults: an http kubevirt import into /data with CDI\'s filesystem overhead, sparse', () => {
    expect(importerConfig(base)).toEqual({
      source: 'http',
      endpoint: 'http://images.example/disk.qcow2',
      contentType: 'kubevirt',
      claimBytes: 1073741824,
      filesystemOverhead: DEFAULT_FILESYSTEM_OVERHEAD,
      ownerUid: 'uid-1',
      dataDir: IMPORTER_DATA_DIR,
      preallocation: false,
    });
  });

  it('reads credentials, headers, the overhead, preallocation and the data folder', () => {
    const cfg = importerConfig({ ...base, IMPORTER_ACCESS_KEY_ID: 'u', IMPORTER_SECRET_KEY: 'p', IMPORTER_EXTRA_HEADERS: '["X-A: 1"]', FILESYSTEM_OVERHEAD: '0', PREALLOCATION: 'true', IMPORTER_CONTENTTYPE: 'archive' }, '/mnt/claim');
    expect(cfg).toMatchObject({ basicAuth: { user: 'u', password: 'p' }, extraHeaders: ['X-A: 1'], filesystemOverhead: 0, preallocation: true, contentType: 'archive', dataDir: '/mnt/claim' });
  });

  it('a blank disk needs no endpoint', () => {
    expect(importerConfig({ ...base, IMPORTER_SOURCE: 'none', IMPORTER_ENDPOINT: undefined }).source).toBe('none');
  });

  it.each([
    [{ IMPORTER_SOURCE: 's3' }, 'IMPORTER_SOURCE: "s3" is not one of http, none, registry'],
    [{ IMPORTER_ENDPOINT: undefined }, 'IMPORTER_ENDPOINT: is required for the http source'],
    [{ IMPORTER_CONTENTTYPE: 'iso' }, 'IMPORTER_CONTENTTYPE: "iso" is not kubevirt or archive'],
    [{ IMPORTER_IMAGE_SIZE: '1Gi' }, 'IMPORTER_IMAGE_SIZE: "1Gi" is not a size in bytes'],
    [{ IMPORTER_IMAGE_SIZE: '0' }, 'IMPORTER_IMAGE_SIZE: "0" is not a size in bytes'],
    [{ FILESYSTEM_OVERHEAD: '1' }, 'FILESYSTEM_OVERHEAD: "1" is not a fraction in [0, 1)'],
    [{ IMPORTER_EXTRA_HEADERS: '{"X-A":"1"}' }, 'IMPORTER_EXTRA_HEADERS: not a JSON array of "Name: value" strings (not an array of strings)'],
  ])('refuses %j as a fatal config error naming the variable', (over, message) => {
    const e = refusal({ ...base, ...over });
    expect(e).toMatchObject({ kind: 'config', fatal: true, message });
  });
});

describe('readCaDir', () => {
  it('reads each key of a mounted ConfigMap once: the key links, not the ..data folder behind them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'importer-ca-'));
    try {
      mkdirSync(join(dir, '..2026_03_01'));
      writeFileSync(join(dir, '..2026_03_01', 'ca.pem'), 'PEM');
      symlinkSync('..2026_03_01', join(dir, '..data'));
      symlinkSync(join('..data', 'ca.pem'), join(dir, 'ca.pem'));
      expect(readCaDir(dir)).toEqual(['PEM']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('readSecretHeaders', () => {
  it('reads every value of every mounted Secret as a header, Secrets in mount order, and appends them to extraHeaders', () => {
    const dir = mkdtempSync(join(tmpdir(), 'importer-headers-'));
    try {
      // Two Secret mounts laid out as the kubelet does (..data link, key links); folder 10 sorts after 2.
      for (const [folder, keys] of [['2', { token: 'Authorization: Bearer abc\n' }], ['10', { a: 'X-Tenant: t1', b: 'X-Zone: z' }]] as const) {
        const d = join(dir, folder);
        mkdirSync(join(d, '..2026_12_02'), { recursive: true });
        symlinkSync('..2026_12_02', join(d, '..data'));
        for (const [k, v] of Object.entries(keys)) {
          writeFileSync(join(d, '..2026_12_02', k), v);
          symlinkSync(join('..data', k), join(d, k));
        }
      }
      expect(readSecretHeaders(dir)).toEqual(['Authorization: Bearer abc', 'X-Tenant: t1', 'X-Zone: z']);
      expect(importerConfig({ ...base, IMPORTER_EXTRA_HEADERS: '["X-A: 1"]', IMPORTER_SECRET_EXTRA_HEADERS_DIR: dir }).extraHeaders).toEqual(['X-A: 1', 'Authorization: Bearer abc', 'X-Tenant: t1', 'X-Zone: z']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
