// A scratch Pulumi project around a compiled program of the repository (dist/…/index.js): its own file
// backend, PULUMI_HOME and stack, the repository's node_modules, and upstream's Kubernetes provider (the
// toolchain's pulumi-kubernetes-upstream build) installed from its file as THE `kubernetes` resource
// plugin at the version the pinned @pulumi/kubernetes asks for. The program stays in dist/ (it imports
// the components relatively); the project's index.js re-exports it, so its exports are the stack's outputs.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../cluster/testing.js';
import { product, toolPath } from '../../toolchain/products.js';
import { pulumiOk, type PulumiOptions } from './pulumi-cli.js';

/** The toolchain product that is the project's `pulumi-resource-kubernetes`. */
export const KUBERNETES_PROVIDER_PRODUCT = 'pulumi-kubernetes-upstream';
/** Its version, which the pinned @pulumi/kubernetes and pulumi_kubernetes ask the engine for. */
export const KUBERNETES_PROVIDER_VERSION = product(KUBERNETES_PROVIDER_PRODUCT).version;

/** Installs the toolchain's Kubernetes provider into the project's PULUMI_HOME, so nothing is ever downloaded. */
export function installKubernetesProvider(project: string, opts: PulumiOptions): void {
  pulumiOk(project, ['plugin', 'install', 'resource', 'kubernetes', KUBERNETES_PROVIDER_VERSION, '--file', toolPath(KUBERNETES_PROVIDER_PRODUCT, 'pulumi-resource-kubernetes')], opts);
}

/** A project for `program` (a path under the repository) with stack `stack` (default `e2e`) selected. */
export function scratchProject(prefix: string, program: string, passphrase: string, env: Record<string, string> = {}, stack = 'e2e'): string {
  const main = join(repoRoot, program);
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (./virtstack setup)`);
  const project = mkdtempSync(join(tmpdir(), `${prefix}-`));
  mkdirSync(join(project, 'state'));
  writeFileSync(join(project, 'Pulumi.yaml'), `name: ${prefix}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n`);
  const { dependencies } = JSON.parse(readPackageJson()) as { dependencies: Record<string, string> };
  const deps = { '@pulumi/pulumi': dependencies['@pulumi/pulumi'], '@pulumi/kubernetes': dependencies['@pulumi/kubernetes'] };
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: prefix, version: '1.0.0', type: 'module', main: 'index.js', dependencies: deps }));
  writeFileSync(join(project, 'index.js'), `export * from ${JSON.stringify(main)};\n`);
  symlinkSync(join(repoRoot, 'node_modules'), join(project, 'node_modules'));
  const opts = { passphrase, env };
  installKubernetesProvider(project, opts);
  pulumiOk(project, ['stack', 'init', stack], opts);
  return project;
}

function readPackageJson(): string {
  return readFileSync(join(repoRoot, 'package.json'), 'utf8');
}
