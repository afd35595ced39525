// `npm run bench -- <suite>...`: each suite is test/bench/<suite>.ts exporting `run(): Promise<BenchResult>`.
// Every suite measures a raw baseline in the same run and reports the ratio; results land in bench/results/.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchFigure {
  name: string;
  unit: string;
  value: number;
  baseline?: { name: string; value: number };
  ratio?: number;
  goal?: string;
}
export interface BenchResult {
  suite: string;
  figures: BenchFigure[];
  notes?: string[];
}

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..');

function available(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith('.js') && f !== 'main.js' && !f.endsWith('.test.js'))
    .map((f) => f.slice(0, -3));
}

async function main(): Promise<number> {
  const wanted = process.argv.slice(2);
  const suites = wanted.length > 0 ? wanted : available();
  if (wanted.includes('--help') || suites.length === 0) {
    process.stdout.write(`usage: npm run bench -- [suite...]\nsuites: ${available().join(', ') || '(none yet)'}\n`);
    return 0;
  }
  const outDir = join(repoRoot, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  let failed = 0;
  for (const suite of suites) {
    if (!available().includes(suite)) {
      process.stderr.write(`bench: no suite '${suite}' (have: ${available().join(', ')})\n`);
      failed++;
      continue;
    }
    const mod = (await import(`./${suite}.js`)) as { run: () => Promise<BenchResult> };
    const result = await mod.run();
    for (const f of result.figures) {
      const base = f.baseline ? `  baseline ${f.baseline.name} ${f.baseline.value.toFixed(3)} ${f.unit}  ratio ${(f.ratio ?? f.value / f.baseline.value).toFixed(2)}` : '';
      process.stdout.write(`${suite}: ${f.name} ${f.value.toFixed(3)} ${f.unit}${base}${f.goal ? `  (goal: ${f.goal})` : ''}\n`);
    }
    const file = join(outDir, `${suite}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ ...result, at: new Date().toISOString() }, null, 2));
    process.stdout.write(`bench: wrote ${file}\n`);
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
