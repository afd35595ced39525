// The README's test command: runs the jest tiers one after another — unit, node, cluster, e2e — and ends
// with one plain line summed from jest's own JSON results, "N passed, N failed[, N skipped]", so each CI
// run records what it tested. Tiers run in separate jest processes, and every tier but unit runs its files
// one at a time: the node tier's network namespaces, the one local cluster and the Pulumi state are
// shared, and a test that tears the cluster down must never run beside one that uses it, however many
// cores the machine has (jest would otherwise run files in parallel workers).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface JestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numRuntimeErrorTestSuites: number;
  success: boolean;
}

export const TIERS = ['unit', 'node', 'cluster', 'e2e'] as const;
/** Tiers whose files share machine-wide state and so run in band. */
const SERIAL = new Set(['node', 'cluster', 'e2e']);

export function summaryLine(r: JestJson): string {
  const skipped = r.numPendingTests + r.numTodoTests;
  const base = `${r.numPassedTests} passed, ${r.numFailedTests + r.numRuntimeErrorTestSuites} failed`;
  return skipped > 0 ? `${base}, ${skipped} skipped` : base;
}

export function sumResults(rs: readonly JestJson[]): JestJson {
  return rs.reduce(
    (a, r) => ({
      numPassedTests: a.numPassedTests + r.numPassedTests,
      numFailedTests: a.numFailedTests + r.numFailedTests,
      numPendingTests: a.numPendingTests + r.numPendingTests,
      numTodoTests: a.numTodoTests + r.numTodoTests,
      numRuntimeErrorTestSuites: a.numRuntimeErrorTestSuites + r.numRuntimeErrorTestSuites,
      success: a.success && r.success,
    }),
    { numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, numRuntimeErrorTestSuites: 0, success: true },
  );
}

/** Splits `--selectProjects a b` out of the arguments; the rest go to every jest run. */
export function selectTiers(argv: readonly string[]): { tiers: string[]; rest: string[] } {
  const rest: string[] = [];
  const picked: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--selectProjects') {
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) picked.push(argv[++i]!);
    } else if (a.startsWith('--selectProjects=')) {
      picked.push(...a.slice('--selectProjects='.length).split(','));
    } else rest.push(a);
  }
  const unknown = picked.filter((p) => !(TIERS as readonly string[]).includes(p));
  if (unknown.length) throw new Error(`unknown tier(s): ${unknown.join(', ')} (tiers: ${TIERS.join(', ')})`);
  return { tiers: picked.length ? TIERS.filter((t) => picked.includes(t)) : [...TIERS], rest };
}

function runTier(tier: string, rest: readonly string[], out: string): Promise<number> {
  const args = ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--selectProjects', tier, '--json', `--outputFile=${out}`, ...rest];
  if (SERIAL.has(tier)) args.push('--runInBand');
  if (process.env.CI) args.push('--ci');
  return new Promise<number>((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
  });
}

async function main(): Promise<number> {
  let sel: ReturnType<typeof selectTiers>;
  try {
    sel = selectTiers(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'virtstack-jest-'));
  const results: JestJson[] = [];
  let code = 0;
  try {
    for (const tier of sel.tiers) {
      process.stderr.write(`\n==> test tier: ${tier}\n`);
      const out = join(dir, `${tier}.json`);
      const c = await runTier(tier, sel.rest, out);
      try {
        results.push(JSON.parse(readFileSync(out, 'utf8')) as JestJson);
      } catch {
        results.push({ numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, numRuntimeErrorTestSuites: 1, success: false });
        process.stderr.write(`tier ${tier}: jest wrote no results (exit code ${c})\n`);
      }
      if (c !== 0) code = c;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const sum = sumResults(results);
  process.stdout.write(summaryLine(sum) + '\n');
  return sum.success && code === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
