// The README's test command: runs jest over every tier and ends with one plain line taken from jest's own
// JSON results, "N passed, N failed[, N skipped]", so each CI run records what it tested.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface JestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numRuntimeErrorTestSuites: number;
  success: boolean;
}

export function summaryLine(r: JestJson): string {
  const skipped = r.numPendingTests + r.numTodoTests;
  const base = `${r.numPassedTests} passed, ${r.numFailedTests + r.numRuntimeErrorTestSuites} failed`;
  return skipped > 0 ? `${base}, ${skipped} skipped` : base;
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'virtstack-jest-'));
  const out = join(dir, 'results.json');
  const args = ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--json', `--outputFile=${out}`, ...process.argv.slice(2)];
  if (process.env.CI) args.push('--ci');
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
  });
  let results: JestJson;
  try {
    results = JSON.parse(readFileSync(out, 'utf8')) as JestJson;
  } catch {
    process.stdout.write(`0 passed, 1 failed (jest wrote no results; exit code ${code})\n`);
    return code || 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(summaryLine(results) + '\n');
  return results.success && code === 0 ? 0 : 1;
}

process.exitCode = await main();
