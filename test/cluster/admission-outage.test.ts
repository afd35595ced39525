// failurePolicy Fail: with the api down, creates are refused with a message naming the webhook, never let
// through unchecked. The api is scaled to zero and its pods removed at once (other engineers' tests on the
// cluster see admission down only for these seconds), and restored in a finally.
import { collectionOf, sendToCluster } from './admission-helpers.js';
import { waitFor } from './exec.js';
import { kubectl, kubectlOk } from './testing.js';
import { stackNamespace, STACK_NAMESPACE, vmObject } from './stack.js';

const ns = stackNamespace('admission-down');

test('webhook down: a VM create is refused with a clear message and nothing is stored; back up, it is admitted', async () => {
  const vm = vmObject(ns.name, 'while-down', 'Halted');
  const collection = collectionOf(vm, ns.name)!;
  expect((await sendToCluster(collection, JSON.stringify(vm), { dryRun: true })).accepted).toBe(true);
  const started = Date.now();
  let refusal = '';
  try {
    kubectlOk(['-n', STACK_NAMESPACE, 'scale', 'deployment/virt-api', '--replicas=0']);
    kubectl(['-n', STACK_NAMESPACE, 'delete', 'pod', '-l', 'kubevirt.io=virt-api', '--grace-period=0', '--force', '--wait=false']);
    const refused = await waitFor('a create to be refused with the api down', 60_000, async () => {
      const r = await sendToCluster(collection, JSON.stringify(vm));
      if (r.accepted) kubectl(['-n', ns.name, 'delete', 'vm', 'while-down', '--wait=false']);
      return r.accepted ? undefined : r;
    }, 200);
    refusal = refused.message;
    expect(refused.code).toBeGreaterThanOrEqual(500);
    expect(refused.message).toMatch(/failed calling webhook "[a-z-]+\.kubevirt\.io"/);
    expect(refused.message).toContain(`virt-api.${STACK_NAMESPACE}.svc`);
    expect(kubectl(['-n', ns.name, 'get', 'vm', 'while-down']).code).not.toBe(0);
  } finally {
    kubectlOk(['-n', STACK_NAMESPACE, 'scale', 'deployment/virt-api', '--replicas=2']);
    await waitFor('admission to answer again', 180_000, async () => ((await sendToCluster(collection, JSON.stringify(vm), { dryRun: true })).accepted ? true : undefined), 200);
    process.stdout.write(`admission outage: ${((Date.now() - started) / 1000).toFixed(1)} s; refusal: ${refusal.slice(0, 300)}\n`);
  }
  kubectlOk(['-n', STACK_NAMESPACE, 'rollout', 'status', 'deployment/virt-api', '--timeout=180s'], undefined, 200_000);
  const created = await sendToCluster(collection, JSON.stringify(vm));
  expect(created.accepted).toBe(true);
}, 600_000);
