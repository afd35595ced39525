// The toolchain driver's own behaviour, without building anything: cache freshness, the sub-second cached
// path, the lock, and the words it uses when the Go module proxy says no.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainGoFailure, inputsHash, isFresh } from './build.js';
import { DEFAULT_PRODUCTS, product, productDir, repoRoot, toolchainSourceDir } from './products.js';

const main = join(repoRoot(), 'dist', 'toolchain', 'main.js');
let cache: string;
const savedXdg = process.env.XDG_CACHE_HOME;

function fakeBuilt(name: string): void {
  const p = product(name);
  const dir = productDir(name);
  mkdirSync(dir, { recursive: true });
  const outs = p.outputs.map((o) => p.renames?.find((r) => r.from === o)?.to ?? o).concat((p.copies ?? []).map((c) => c.to));
  for (const o of outs) writeFileSync(join(dir, o), '#!/bin/sh\n');
  writeFileSync(join(dir, '.virtstack-build.json'), JSON.stringify({ product: name, version: p.version, inputs: inputsHash(p), seconds: 1, builtAt: 'test' }));
}

beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), 'virtstack-toolchain-test-'));
  process.env.XDG_CACHE_HOME = cache;
});

afterEach(() => {
  if (savedXdg === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = savedXdg;
  rmSync(cache, { recursive: true, force: true });
});

test('products are cached under XDG_CACHE_HOME/virtstack/bin/<name>-<version>', () => {
  expect(productDir('kubernetes')).toBe(join(cache, 'virtstack', 'bin', 'kubernetes-v1.34.4'));
  expect(productDir('pulumi')).toBe(join(cache, 'virtstack', 'bin', 'pulumi-v3.259.0'));
});

test('a product is fresh only with its stamp, matching inputs and every output', () => {
  expect(isFresh(product('etcd'))).toBe(false);
  fakeBuilt('etcd');
  expect(isFresh(product('etcd'))).toBe(true);
  writeFileSync(join(productDir('etcd'), '.virtstack-build.json'), JSON.stringify({ inputs: 'other' }));
  expect(isFresh(product('etcd'))).toBe(false);
  fakeBuilt('etcd');
  rmSync(join(productDir('etcd'), 'etcd'));
  expect(isFresh(product('etcd'))).toBe(false);
});

test('the pulumi product is rebuilt when a language host changes: its sources are part of the cache key', () => {
  const p = product('pulumi');
  expect(p.outputs).toEqual(['pulumi', 'pulumi-language-nodejs', 'pulumi-language-python', 'pulumi-language-go']);
  const copy = join(cache, 'toolchain');
  cpSync(join(toolchainSourceDir(), 'pulumi'), join(copy, 'pulumi'), { recursive: true });
  const before = inputsHash(p, copy);
  expect(before).toBe(inputsHash(p));
  appendFileSync(join(copy, 'pulumi', 'cmd', 'pulumi-language-go', 'codegen.go'), '\n// changed\n');
  const afterGo = inputsHash(p, copy);
  expect(afterGo).not.toBe(before);
  appendFileSync(join(copy, 'pulumi', 'langhost', 'generate.go'), '\n// changed\n');
  expect(inputsHash(p, copy)).not.toBe(afterGo);
});

test('a second run with everything cached does nothing, in well under a second, without Go', () => {
  for (const n of DEFAULT_PRODUCTS) fakeBuilt(n);
  const started = Date.now();
  // PATH without Go: the cached path must not even look for it.
  const r = spawnSync(process.execPath, [main], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } });
  const ms = Date.now() - started;
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout.trim().split('\n')).toEqual(DEFAULT_PRODUCTS.map((n) => `${n} ${product(n).version} ${productDir(n)}`));
  expect(ms).toBeLessThan(1000);
});

test('a run that must build waits for the lock held by another run', async () => {
  const lock = join(cache, 'virtstack', 'bin', '.lock');
  mkdirSync(join(cache, 'virtstack', 'bin'), { recursive: true });
  const holder = spawn('flock', [lock, 'sleep', '1.5'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  const started = Date.now();
  // PATH without Go (flock and node by absolute path): once it has the lock, it stops at the Go check.
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const c = spawn(process.execPath, [main, 'etcd'], { env: { ...process.env, PATH: '/usr/bin:/bin' } });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => resolve({ code, stderr }));
  });
  holder.kill();
  expect(r.stderr).toContain('another toolchain build holds');
  expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  expect(r.code).not.toBe(0);
}, 20_000);

test('unknown product names are refused with the list of products', () => {
  const r = spawnSync(process.execPath, [main, 'kubernets'], { encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('no product named kubernets');
  expect(r.stderr).toContain('kubernetes, etcd, pulumi');
});

test('a refusal by the module proxy names the module and hides the proxy address', () => {
  const output = [
    'go: downloading k8s.io/api v0.34.4',
    'go: k8s.io/kubernetes@v1.34.4: reading https://proxy.example.invalid/k8s.io/kubernetes/@v/v1.34.4.zip: 403 Forbidden',
    '\tserver response: This module version is not available.',
  ].join('\n');
  const msg = explainGoFailure(product('kubernetes'), output);
  expect(msg).toBe(
    'kubernetes: the Go module proxy refused k8s.io/kubernetes@v1.34.4 (403 Forbidden: This module version is not available.), ' +
      'needed to build k8s.io/kubernetes@v1.34.4. Check GOPROXY (`go env GOPROXY`) and that this exact version is served; nothing was cached.',
  );
  expect(msg).not.toContain('example.invalid');
});

test('an unreachable proxy is reported as such', () => {
  const msg = explainGoFailure(
    product('etcd'),
    'go: go.etcd.io/etcd/server/v3@v3.6.16: Get "https://proxy.example.invalid/go.etcd.io/etcd/server/v3/@v/v3.6.16.mod": dial tcp: lookup proxy.example.invalid: no such host',
  );
  expect(msg).toMatch(/^etcd: cannot reach the Go module proxy while fetching go.etcd.io\/etcd\/server\/v3@v3.6.16 \(dial tcp: lookup/);
  expect(msg).not.toContain('https://');
  expect(msg).not.toContain('example.invalid');
});

test('upstream\'s Kubernetes provider is a buildable product whose generated embeds are not part of its cache key', () => {
  const p = product('pulumi-kubernetes-upstream');
  expect(p.unavailable).toBeUndefined();
  expect(DEFAULT_PRODUCTS).toContain('pulumi-kubernetes-upstream');
  expect(p.ldflags).toContain('-X main.version=4.25.0');
  expect(p.generated?.map((g) => g.to)).toEqual([
    'cmd/pulumi-resource-kubernetes/schema-embed.json',
    'cmd/pulumi-resource-kubernetes/terraform-mapping-embed.json',
  ]);
  const copy = join(cache, 'toolchain');
  cpSync(join(toolchainSourceDir(), p.wrapper), join(copy, p.wrapper), { recursive: true });
  const before = inputsHash(p, copy);
  // A build writes the embeds; the next freshness check must still match the stamp it wrote.
  writeFileSync(join(copy, p.wrapper, 'cmd', 'pulumi-resource-kubernetes', 'schema-embed.json'), '{"version":"x"}');
  expect(inputsHash(p, copy)).toBe(before);
  appendFileSync(join(copy, p.wrapper, 'cmd', 'pulumi-resource-kubernetes', 'main.go'), '\n// changed\n');
  expect(inputsHash(p, copy)).not.toBe(before);
});

test('--newer without Go says Go is missing instead of answering for the proxy', () => {
  const r = spawnSync(process.execPath, [main, '--newer', 'pulumi-kubernetes-upstream'], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^toolchain: Go is not installed or not on PATH/);
  expect(r.stdout).toBe('');
});
