// Certificate rotation under load: the api runs with a one-minute certificate lifetime (a rolling update
// that never leaves admission without a ready replica), VM creates go through the webhooks without pause
// while the leader re-issues the serving certificate twice and both replicas swap to it, and not one
// request fails. The Deployment's arguments are restored in a finally.
import { certificateFacts } from '../../virt/certs/pki.js';
import { collectionOf, holdStackLock, sendToCluster } from './admission-helpers.js';
import { waitFor } from './exec.js';
import { api } from './kube-api.js';
import { kubectl, kubectlOk } from './testing.js';
import { stackNamespace, STACK_NAMESPACE, vmObject } from './stack.js';

const ns = stackNamespace('admission-rot');
const LIFETIME_S = 60;

interface Deployment {
  spec: { template: { spec: { containers: { args: string[] }[] } } };
}

async function servingCert(): Promise<{ sha256: string; lifetimeMs: number }> {
  const s = await api<{ data?: Record<string, string> }>('GET', `/api/v1/namespaces/${STACK_NAMESPACE}/secrets/virt-api-certs`);
  const f = certificateFacts(Buffer.from(s.data?.['tls.crt'] ?? '', 'base64').toString());
  if (!f) throw new Error('virt-api-certs has no readable certificate');
  return { sha256: f.sha256, lifetimeMs: f.notAfter.getTime() - f.notBefore.getTime() };
}

function setArgs(args: string[]): void {
  kubectlOk(['-n', STACK_NAMESPACE, 'patch', 'deployment/virt-api', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/template/spec/containers/0/args', value: args }])]);
  kubectlOk(['-n', STACK_NAMESPACE, 'rollout', 'status', 'deployment/virt-api', '--timeout=240s'], undefined, 260_000);
}

test('the serving certificate rotates twice under steady VM creates and no request fails', async () => {
  const original = (await api<Deployment>('GET', `/apis/apps/v1/namespaces/${STACK_NAMESPACE}/deployments/virt-api`)).spec.template.spec.containers[0]!.args;
  const vm = vmObject(ns.name, 'rotating', 'Halted');
  const collection = collectionOf(vm, ns.name)!;
  // A concurrent stack:up (another test file's ensureStack) would put the arguments back mid-test.
  const release = await holdStackLock();
  try {
    setArgs([...original.filter((a) => !a.startsWith('--cert-lifetime=')), `--cert-lifetime=${LIFETIME_S}s`]);
    // The leader re-issues at once: the old certificate outlives the new lifetime.
    const first = await waitFor('a certificate with the short lifetime', 120_000, async () => {
      const c = await servingCert();
      return c.lifetimeMs <= (LIFETIME_S + 5 * 60 + 5) * 1000 ? c : undefined;
    }, 500);
    const loadStart = new Date();
    const seen = new Set([first.sha256]);
    let stop = false;
    let sent = 0;
    const failures: string[] = [];
    const worker = async (): Promise<void> => {
      while (!stop) {
        const r = await sendToCluster(collection, JSON.stringify(vm), { dryRun: true }).catch((e: unknown) => ({ accepted: false, code: 0, message: String(e) }));
        sent++;
        if (!r.accepted) failures.push(`${r.code} ${r.message.slice(0, 200)}`);
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    try {
      await waitFor('two rotations of the serving certificate', 240_000, async () => {
        seen.add((await servingCert()).sha256);
        return seen.size >= 3 ? true : undefined;
      }, 1000);
      // Each replica swaps on the Secret's watch event; give the last one the moment it needs, still under load.
      await waitFor('both replicas to swap to the newest certificate', 30_000, () => {
        const logs = kubectl(['-n', STACK_NAMESPACE, 'logs', '-l', 'kubevirt.io=virt-api', '--prefix', `--since-time=${loadStart.toISOString()}`, '--tail=-1']).stdout;
        const swapsPerPod = new Map<string, number>();
        for (const line of logs.split('\n')) {
          if (!line.includes('"serving certificate swapped"')) continue;
          const pod = /^\[pod\/([^/]+)/.exec(line)?.[1] ?? '';
          swapsPerPod.set(pod, (swapsPerPod.get(pod) ?? 0) + 1);
        }
        return swapsPerPod.size === 2 && [...swapsPerPod.values()].every((n) => n >= 2) ? true : undefined;
      }, 1000);
    } finally {
      stop = true;
      await Promise.all(workers);
    }
    process.stdout.write(`rotation under load: ${sent} dry-run VM creates over ${((Date.now() - loadStart.getTime()) / 1000).toFixed(0)} s, ${seen.size - 1} rotations, ${failures.length} failed\n`);
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(100);
  } finally {
    try {
      setArgs(original);
    } finally {
      await release();
    }
  }
}, 900_000);
