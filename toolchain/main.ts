// `npm run toolchain -- [name...]`: builds the pinned third-party binaries into the cache, once.
// Prints `name version dir` per product. A second run finds everything cached and exits in well under
// a second; concurrent runs serialise on a lock (flock) so the cache is never half-written.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, checkGo, isFresh, probeNewer, ToolchainError } from './build.js';
import { cacheRoot, DEFAULT_PRODUCTS, PRODUCTS, product, productDir } from './products.js';

const LOCK_ENV = 'VIRTSTACK_TOOLCHAIN_LOCKED';

function usage(): string {
  const rows = PRODUCTS.map((p) => `  ${p.name.padEnd(24)} ${p.version.padEnd(10)} ${p.description}`).join('\n');
  return `usage: npm run toolchain -- [--list] [name...]

Builds third-party binaries from the Go module proxy with the wrapper modules in toolchain/ and caches
them in ${join(cacheRoot(), 'bin')}/<name>-<version>/ (XDG_CACHE_HOME is respected). With no name,
builds: ${DEFAULT_PRODUCTS.join(', ')}.

products:
${rows}

  --list   print each product's folder and whether it is built, build nothing
  --newer  ask the Go module proxy for releases newer than the pins (where known) and print its
           answer per release, build nothing
`;
}

function report(names: string[]): void {
  for (const n of names) {
    const p = product(n);
    process.stdout.write(`${p.name} ${p.version} ${productDir(p.name)}\n`);
  }
}

// Re-runs this program under flock(1): the kernel drops the lock when the process dies, so a killed
// build never leaves a stale lock behind (a lock file with a PID would).
function relaunchUnderLock(args: string[]): number {
  const lockFile = join(cacheRoot(), 'bin', '.lock');
  mkdirSync(join(cacheRoot(), 'bin'), { recursive: true });
  const script = fileURLToPath(import.meta.url);
  const env = { ...process.env, [LOCK_ENV]: '1' };
  const tryNow = spawnSync('flock', ['--nonblock', '--conflict-exit-code', '75', lockFile, process.execPath, script, ...args], {
    stdio: 'inherit',
    env,
  });
  if (tryNow.error) throw new ToolchainError(`cannot run flock (util-linux): ${tryNow.error.message}`);
  if (tryNow.status !== 75) return tryNow.status ?? 1;
  process.stderr.write(`toolchain: another toolchain build holds ${lockFile}; waiting for it to finish\n`);
  const waited = spawnSync('flock', [lockFile, process.execPath, script, ...args], { stdio: 'inherit', env });
  return waited.status ?? 1;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage());
    return 0;
  }
  const unknownFlag = argv.find((a) => a.startsWith('-') && a !== '--list' && a !== '--newer');
  if (unknownFlag) {
    process.stderr.write(`toolchain: unknown option ${unknownFlag}\n\n${usage()}`);
    return 2;
  }
  const names = argv.filter((a) => !a.startsWith('-'));
  const wanted = names.length ? names : [...DEFAULT_PRODUCTS];
  const unknown = wanted.filter((n) => !PRODUCTS.some((p) => p.name === n));
  if (unknown.length) {
    process.stderr.write(`toolchain: no product named ${unknown.join(', ')} (have: ${PRODUCTS.map((p) => p.name).join(', ')})\n`);
    return 2;
  }
  if (argv.includes('--list')) {
    for (const n of wanted) {
      const p = product(n);
      const state = p.unavailable ? 'unavailable here' : isFresh(p) ? 'built' : 'not built';
      process.stdout.write(`${p.name} ${p.version} ${state} ${productDir(p.name)}\n`);
    }
    return 0;
  }
  if (argv.includes('--newer')) {
    checkGo();
    for (const n of wanted) {
      const p = product(n);
      for (const a of probeNewer(p)) {
        process.stdout.write(
          a.served
            ? `${p.name}: ${a.release} (${a.module}) is served now: move the pin from ${p.version} to it\n`
            : `${p.name}: ${a.release} (${a.module}) is not served; staying on ${p.version}. The proxy answered: ${a.answer}\n`,
        );
      }
    }
    return 0;
  }
  const stale = wanted.filter((n) => !isFresh(product(n)));
  if (stale.length === 0) {
    report(wanted);
    return 0;
  }
  if (!process.env[LOCK_ENV]) return relaunchUnderLock(argv);

  checkGo();
  for (const n of wanted) {
    const p = product(n);
    // Checked again under the lock: a concurrent run may have built it while this one waited.
    if (isFresh(p)) continue;
    await build(p, (line) => process.stderr.write(line + '\n'));
  }
  report(wanted);
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (e instanceof ToolchainError) {
    process.stderr.write(`toolchain: ${e.message.replace(/^toolchain: /, '')}\n`);
    process.exitCode = 1;
  } else {
    throw e;
  }
}
