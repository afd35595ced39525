// A scratch Pulumi project around a compiled program of the repository (dist/…/index.js): its own file
// backend, PULUMI_HOME and stack, the repository's node_modules, virtstack's Kubernetes provider installed
// from its file. The program stays in dist/ (it imports the components relatively); the project's
// index.js re-exports it, so its exports are the stack's outputs.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../cluster/testing.js';
import { toolPath } from '../../toolchain/products.js';
import { pulumiOk } from './pulumi-cli.js';

export function scratchProject(prefix: string, program: string, passphrase: string, env: Record<string, string>): string {
  const project = mkdtempSync(join(tmpdir(), `${prefix}-`));
  mkdirSync(join(project, 'state'));
  writeFileSync(join(project, 'Pulumi.yaml'), `name: ${prefix}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n`);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: prefix, version: '1.0.0', type: 'module', main: 'index.js', dependencies: { '@pulumi/pulumi': '3.259.0', '@pulumi/kubernetes': '4.32.0' } }));
  writeFileSync(join(project, 'index.js'), `export * from ${JSON.stringify(join(repoRoot, program))};\n`);
  symlinkSync(join(repoRoot, 'node_modules'), join(project, 'node_modules'));
  const opts = { passphrase, env };
  pulumiOk(project, ['plugin', 'install', 'resource', 'kubernetes', 'v4.32.0', '--file', toolPath('pulumi-kubernetes', 'pulumi-resource-kubernetes')], opts);
  pulumiOk(project, ['stack', 'init', 'e2e'], opts);
  return project;
}
