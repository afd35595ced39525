// Builds one product from its wrapper module into the cache, atomically, with progress.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Product } from './products.js';
import { productDir, toolchainSourceDir } from './products.js';

const STAMP = '.virtstack-build.json';

export class ToolchainError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ToolchainError';
  }
}

interface Stamp {
  product: string;
  version: string;
  inputs: string;
  seconds: number;
  builtAt: string;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

/**
 * Hash of everything that decides the build output: the product's recipe and every file of its wrapper
 * module (for pulumi, the language hosts' sources too, so a changed host is rebuilt). Cheap enough (no
 * `go` process) to keep the cached path well under a second. `sourceDir` is the toolchain folder.
 */
export function inputsHash(p: Product, sourceDir: string = toolchainSourceDir()): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(p));
  if (p.wrapper) {
    const dir = join(sourceDir, p.wrapper);
    const generated = new Set((p.generated ?? []).map((g) => join(dir, g.to)));
    for (const f of listFiles(dir)) {
      if (generated.has(f)) continue;
      h.update(f.slice(dir.length));
      h.update(readFileSync(f));
    }
  }
  return h.digest('hex');
}

function finalOutputs(p: Product): string[] {
  return p.outputs.map((o) => p.renames?.find((r) => r.from === o)?.to ?? o).concat((p.copies ?? []).map((c) => c.to));
}

/** True when the cache holds this product built from exactly the current inputs. */
export function isFresh(p: Product): boolean {
  const dir = productDir(p.name);
  try {
    const stamp = JSON.parse(readFileSync(join(dir, STAMP), 'utf8')) as Stamp;
    if (stamp.inputs !== inputsHash(p)) return false;
    return finalOutputs(p).every((o) => statSync(join(dir, o)).isFile());
  } catch {
    return false;
  }
}

// Proxy answers are reported without the proxy's address: hosts of registries are not to be printed.
function maskHosts(text: string): string {
  return text
    .replace(/https?:\/\/[^\s/"']+/g, '<module proxy>')
    .replace(/lookup [^\s:]+/g, 'lookup <module proxy>')
    .replace(/dial tcp [^\s:]+:\d+/g, 'dial tcp <module proxy>');
}

/** Turns `go` failures that come from the module proxy into one sentence naming the module. */
export function explainGoFailure(p: Product, output: string): string {
  const masked = maskHosts(output);
  const refused = masked.match(/([\w./~-]+)@(v[\w.+-]+|[0-9a-f]{7,40}|latest)[^\n]*?(403 Forbidden|404 Not Found|410 Gone)[^\n]*(?:\n\s*server response:\s*([^\n]+))?/);
  if (refused) {
    return (
      `${p.name}: the Go module proxy refused ${refused[1]}@${refused[2]} (${refused[3]}` +
      `${refused[4] ? `: ${refused[4].trim()}` : ''}), needed to build ${p.upstream}. ` +
      'Check GOPROXY (`go env GOPROXY`) and that this exact version is served; nothing was cached.'
    );
  }
  const network = masked.match(/(dial tcp[^\n]*|no such host[^\n]*|connection refused[^\n]*|i\/o timeout[^\n]*|TLS handshake timeout[^\n]*)/);
  if (network) {
    const mod = masked.match(/([\w./~-]+)@(v[\w.+-]+)/);
    return (
      `${p.name}: cannot reach the Go module proxy${mod ? ` while fetching ${mod[1]}@${mod[2]}` : ''} (${(network[1] ?? "").trim()}). ` +
      'Check the network and GOPROXY (`go env GOPROXY`), then run again; nothing was cached.'
    );
  }
  const tail = masked.trim().split('\n').slice(-25).join('\n');
  return `${p.name}: go build of ${p.upstream} failed:\n${tail}`;
}

function goEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // The machine's Go builds everything; a go.mod toolchain line must not trigger a download.
    GOTOOLCHAIN: 'local',
    // Static binaries: they run inside node network namespaces and containers without host libraries.
    CGO_ENABLED: '0',
    GOFLAGS: '-buildvcs=false',
  };
}

export function checkGo(): string {
  const r = spawnSync('go', ['version'], { encoding: 'utf8', env: goEnv() });
  if (r.error || r.status !== 0) {
    throw new ToolchainError('Go is not installed or not on PATH: virtstack builds its third-party binaries with Go >= 1.26');
  }
  const m = /go(\d+)\.(\d+)/.exec(r.stdout);
  if (!m || Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 26)) {
    throw new ToolchainError(`${r.stdout.trim()}: virtstack needs Go >= 1.26 (etcd ${'v3.6'} requires it)`);
  }
  return r.stdout.trim();
}

/** Asks the Go module proxy for one module version: served, or its answer (the proxy's address masked). */
function askProxy(module: string): { served: boolean; answer: string } {
  const r = spawnSync('go', ['mod', 'download', '-json', module], {
    encoding: 'utf8',
    env: goEnv(),
    cwd: toolchainSourceDir(),
    timeout: 120_000,
  });
  let error: string | undefined;
  try {
    error = (JSON.parse(r.stdout) as { Error?: string }).Error;
  } catch {
    error = r.error ? `cannot run go: ${r.error.message}` : r.stderr.trim().split('\n').pop() || `go exited ${r.status}`;
  }
  const served = r.status === 0 && !error;
  return { served, answer: served ? '' : maskHosts(error ?? '').replace(/\s+/g, ' ').trim() };
}

/** Asks the proxy for the module of an unavailable product, so the error reports today's answer. */
async function probeUnavailable(p: Product): Promise<never> {
  const { served, answer } = askProxy(p.upstream);
  if (served) {
    throw new ToolchainError(
      `${p.name}: ${p.upstream} is served now, but virtstack has no build recipe for it yet (it was refused when the ` +
        'toolchain was written): add a wrapper module under toolchain/.',
    );
  }
  throw new ToolchainError(`${p.name}: cannot build ${p.upstream}: ${p.unavailable}. The proxy answered: ${answer}`);
}

export interface NewerAnswer {
  release: string;
  module: string;
  served: boolean;
  /** The proxy's answer, its address masked; empty when served. */
  answer: string;
}

/** Asks the proxy for each newer release of a product than the pinned one (`newer`). */
export function probeNewer(p: Product): NewerAnswer[] {
  return (p.newer ?? []).map(({ release, module }) => ({ release, module, ...askProxy(module) }));
}

/** Copies the files upstream generates at build time from their module into the wrapper module. */
async function writeGenerated(p: Product, wrapperDir: string): Promise<void> {
  for (const g of p.generated ?? []) {
    const mod = await runGo(['mod', 'download', '-json', g.module], wrapperDir);
    let dir: string | undefined;
    try {
      dir = (JSON.parse(mod.output.slice(mod.output.indexOf('{'))) as { Dir?: string }).Dir;
    } catch {
      dir = undefined;
    }
    if (mod.code !== 0 || !dir) throw new ToolchainError(explainGoFailure(p, mod.output));
    const target = join(wrapperDir, g.to);
    rmSync(target, { force: true });
    copyFileSync(join(dir, g.from), target);
    // Module cache files are read-only; a later copy must be able to replace this one.
    chmodSync(target, 0o644);
  }
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function runGo(args: string[], cwd: string, onLine?: (line: string) => void): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const nice = existsSync('/usr/bin/nice');
    // Builds run niced: they take minutes of both cores and should not starve an interactive shell or tests.
    const child = nice ? spawn('nice', ['-n', '19', 'go', ...args], { cwd, env: goEnv() }) : spawn('go', args, { cwd, env: goEnv() });
    let output = '';
    let partial = '';
    const take = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      output += text;
      if (output.length > 4_000_000) output = output.slice(-2_000_000);
      partial += text;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) onLine?.(l);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (e) => reject(new ToolchainError(`cannot run go: ${e.message}`, { cause: e })));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

export interface BuildReport {
  product: string;
  version: string;
  seconds: number;
  dir: string;
}

/** Builds a product into its cache folder. The caller holds the toolchain lock. */
export async function build(p: Product, log: (line: string) => void): Promise<BuildReport> {
  if (p.unavailable) return probeUnavailable(p);
  const started = Date.now();
  const wrapperDir = join(toolchainSourceDir(), p.wrapper);
  const finalDir = productDir(p.name);
  const tmpDir = `${finalDir}.tmp-${process.pid}`;
  rmSync(tmpDir, { recursive: true, force: true });
  mkdirSync(tmpDir, { recursive: true });
  try {
    await writeGenerated(p, wrapperDir);
    // The package count bounds the progress figure; with a warm build cache fewer are compiled.
    const list = await runGo(['list', '-deps', '-tags', p.tags.join(','), ...p.packages], wrapperDir);
    if (list.code !== 0) throw new ToolchainError(explainGoFailure(p, list.output));
    const total = list.output.split('\n').filter((l) => l.trim() && !l.startsWith('go: downloading')).length;
    let compiled = 0;
    let lastReport = 0;
    const tty = process.stderr.isTTY;
    const progress = (force = false): void => {
      const now = Date.now();
      if (!force && now - lastReport < (tty ? 500 : 30_000)) return;
      lastReport = now;
      const msg = `toolchain: ${p.name} ${p.version}: compiled ${compiled} of at most ${total} packages, ${formatDuration(now - started)}`;
      if (tty) process.stderr.write(`\r${msg}\x1b[K`);
      else log(msg);
    };
    log(`toolchain: building ${p.name} ${p.version} (${p.description}) from ${p.upstream}`);
    // Each build asks again, so a release served since the pin was chosen shows up in the log.
    for (const a of probeNewer(p)) {
      log(
        a.served
          ? `toolchain: ${p.name}: ${a.release} (${a.module}) is served now; the pin ${p.version} can move to it`
          : `toolchain: ${p.name}: ${a.release} is still not served (${a.answer}); building ${p.version}`,
      );
    }
    const ticker = setInterval(() => progress(), tty ? 1000 : 30_000);
    let result: { code: number; output: string };
    try {
      result = await runGo(
        [
          'build',
          '-v',
          '-trimpath',
          ...(p.tags.length ? ['-tags', p.tags.join(',')] : []),
          '-ldflags',
          ['-s', '-w', ...p.ldflags].join(' '),
          '-o',
          `${tmpDir}/`,
          ...p.packages,
        ],
        wrapperDir,
        (line) => {
          if (line && !line.startsWith('go: ') && !line.includes(' ')) {
            compiled++;
            progress();
          }
        },
      );
    } finally {
      clearInterval(ticker);
      if (tty) process.stderr.write('\n');
    }
    if (result.code !== 0) throw new ToolchainError(explainGoFailure(p, result.output));
    for (const r of p.renames ?? []) renameSync(join(tmpDir, r.from), join(tmpDir, r.to));
    for (const c of p.copies ?? []) {
      const mod = await runGo(['list', '-m', '-f', '{{.Dir}}', c.module], wrapperDir);
      if (mod.code !== 0) throw new ToolchainError(explainGoFailure(p, mod.output));
      const src = join(mod.output.trim().split('\n').pop() ?? '', c.from);
      copyFileSync(src, join(tmpDir, c.to));
      // Module cache files are read-only; the copy must run.
      chmodSync(join(tmpDir, c.to), 0o755);
    }
    for (const o of finalOutputs(p)) {
      if (!existsSync(join(tmpDir, o))) throw new ToolchainError(`${p.name}: the build finished but did not produce ${o}`);
    }
    const seconds = (Date.now() - started) / 1000;
    const stamp: Stamp = { product: p.name, version: p.version, inputs: inputsHash(p), seconds, builtAt: new Date().toISOString() };
    writeFileSync(join(tmpDir, STAMP), JSON.stringify(stamp, null, 2) + '\n');
    // Swap in whole: a reader sees either the old complete folder or the new one, never a half-written one.
    rmSync(finalDir, { recursive: true, force: true });
    renameSync(tmpDir, finalDir);
    log(`toolchain: built ${p.name} ${p.version} in ${formatDuration(seconds * 1000)} -> ${finalDir}`);
    return { product: p.name, version: p.version, seconds, dir: finalDir };
  } catch (e) {
    rmSync(tmpDir, { recursive: true, force: true });
    throw e;
  }
}
