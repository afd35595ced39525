// Helpers for tests that need the local cluster: bring it up (building what is missing), run kubectl,
// create pods and wait for them. Any test tier may import this; it starts nothing at import time.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot as findRepoRoot, toolPath } from '../../toolchain/products.js';
import { waitFor } from './exec.js';
import { api, resetCredentials } from './kube-api.js';
import { kubeconfigPath } from './paths.js';

export const repoRoot = findRepoRoot();

/** Long enough for a cold toolchain build on 2 cores (measured: see README "First run and caches"). */
export const CLUSTER_SETUP_TIMEOUT_MS = 45 * 60_000;

/** Runs one of the project's compiled scripts, its output shown as it comes (long builds stay visible). */
/**
 * Runs one of the project's scripts with this Node. With `lockFile`, under an exclusive flock(1) on it:
 * image builds and stack installs from concurrent test processes (several developers' runs on one
 * cluster) take turns instead of writing the same image cache and rolling the same Deployments at once.
 */
export function runNode(script: string, args: string[], env: NodeJS.ProcessEnv = {}, lockFile?: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const command = [process.execPath, join(repoRoot, script), ...args];
    const [file, ...argv] = lockFile ? ['flock', lockFile, ...command] : command;
    const child = spawn(file!, argv, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let output = '';
    const take = (d: Buffer): void => {
      output += d.toString();
      // Progress of long builds stays visible in the test run's output.
      process.stderr.write(d);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Builds the toolchain products (cached after the first run). */
export async function ensureToolchain(names: string[]): Promise<void> {
  const r = await runNode('dist/toolchain/main.js', names);
  if (r.code !== 0) throw new Error(`npm run toolchain -- ${names.join(' ')} failed:\n${r.output.slice(-3000)}`);
}

/** `npm run cluster:up`: a no-op when the cluster is already healthy. */
export async function ensureCluster(): Promise<void> {
  await ensureToolchain(['kubernetes', 'etcd', 'local-path-provisioner']);
  const r = await runNode('dist/test/cluster/main.js', ['up']);
  if (r.code !== 0) throw new Error(`cluster:up failed:\n${r.output.slice(-4000)}`);
  resetCredentials();
}

export async function clusterCommand(cmd: 'up' | 'down' | 'status'): Promise<{ code: number; output: string }> {
  const r = await runNode('dist/test/cluster/main.js', [cmd]);
  resetCredentials();
  return r;
}

export function kubectl(args: string[], input?: string, timeoutMs = 60_000): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(toolPath('kubernetes', 'kubectl'), [`--kubeconfig=${kubeconfigPath()}`, ...args], {
    encoding: 'utf8',
    input,
    timeout: timeoutMs,
  });
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

/** kubectl that must succeed: its stdout, or an error with the command and its stderr. */
export function kubectlOk(args: string[], input?: string, timeoutMs?: number): string {
  const r = kubectl(args, input, timeoutMs);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

export interface PodObject {
  metadata: { name: string; namespace?: string };
  spec: { nodeName?: string };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

export async function waitPod(namespace: string, name: string, until: (p: PodObject) => boolean, what: string, timeoutMs = 120_000): Promise<PodObject> {
  return waitFor(`pod ${namespace}/${name} to be ${what}`, timeoutMs, async () => {
    const p = await api<PodObject>('GET', `/api/v1/namespaces/${namespace}/pods/${name}`);
    if (p.status?.phase === 'Failed') throw new Error(`pod ${namespace}/${name} failed`);
    return until(p) ? p : undefined;
  });
}

export const isReady = (p: PodObject): boolean => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Creates a throwaway namespace; the returned function deletes it. */
export async function tempNamespace(prefix: string): Promise<{ name: string; remove: () => Promise<void> }> {
  const name = `${prefix}-${Date.now().toString(36)}`;
  await api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return {
    name,
    remove: async () => {
      await api('DELETE', `/api/v1/namespaces/${name}`).catch(() => undefined);
    },
  };
}
