// What KubeVirtInstall's destroy does beyond its own objects, against an in-memory cluster: every VM, VMI
// and DataVolume deleted and waited for until their launcher pods are gone, then the handler's node labels.
import { MemoryApi } from '../virt/kube/testing/memory-api.js';
import { RESOURCES } from '../virt/kube/resources.js';
import type { Pod } from '../virt/kube/core-types.js';
import { drainVirtualMachines, removeNodeLabels, removeNodeState } from './install-teardown.js';

const CRDS = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false };

function cluster(): MemoryApi {
  const api = new MemoryApi();
  for (const name of ['virtualmachines.kubevirt.io', 'virtualmachineinstances.kubevirt.io', 'datavolumes.cdi.kubevirt.io']) {
    api.seed(CRDS, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name } });
  }
  return api;
}

test('deletes every VM, DataVolume and VMI of every namespace and waits until their launcher pods are gone', async () => {
  const api = cluster();
  api.seed(RESOURCES.virtualMachines, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'web', namespace: 'a' } });
  api.seed(RESOURCES.virtualMachines, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'db', namespace: 'b' } });
  api.seed(RESOURCES.dataVolumes, { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name: 'disk', namespace: 'b' } });
  api.seed(RESOURCES.virtualMachineInstances, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'solo', namespace: 'a' } });
  api.seed(RESOURCES.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'virt-launcher-solo-abcde', namespace: 'a', labels: { 'kubevirt.io': 'virt-launcher' } } });
  api.seed(RESOURCES.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unrelated', namespace: 'a' } });
  let drained = false;
  const done = drainVirtualMachines(api, 30_000).then((d) => {
    drained = true;
    return d;
  });
  await new Promise((r) => setTimeout(r, 1500));
  // still waiting: the launcher pod is there (the kubelet has not stopped it yet)
  expect(drained).toBe(false);
  await api.delete(RESOURCES.pods, 'a', 'virt-launcher-solo-abcde', { gracePeriodSeconds: 0 });
  expect((await done).sort()).toEqual(['DataVolume b/disk', 'VirtualMachine a/web', 'VirtualMachine b/db', 'VirtualMachineInstance a/solo']);
  expect(api.all(RESOURCES.virtualMachines)).toEqual([]);
  expect(api.all(RESOURCES.dataVolumes)).toEqual([]);
  expect(api.all(RESOURCES.pods).map((p) => p.metadata.name)).toEqual(['unrelated']);
});

test('a VM held by a finalizer is named in the timeout, with the finalizer', async () => {
  const api = cluster();
  api.seed(RESOURCES.virtualMachines, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'stuck', namespace: 'a', finalizers: ['kubevirt.io/foregroundDeleteVirtualMachine'] } });
  await expect(drainVirtualMachines(api, 1500)).rejects.toThrow(/every VirtualMachine to go: a\/stuck \(finalizers kubevirt\.io\/foregroundDeleteVirtualMachine\) left/);
});

test('with no virtstack CRDs there is nothing to drain', async () => {
  await expect(drainVirtualMachines(new MemoryApi(), 1000)).resolves.toEqual([]);
});

test('removes the handler\'s labels from every node and leaves the others', async () => {
  const api = new MemoryApi();
  api.seed(RESOURCES.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', labels: { 'kubevirt.io/schedulable': 'true', 'virtstack.io/accelerator': 'tcg', zone: 'a' } } });
  api.seed(RESOURCES.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-2', labels: { zone: 'b' } } });
  expect(await removeNodeLabels(api)).toEqual(['node-1']);
  expect(api.all(RESOURCES.nodes).map((n) => n.metadata.labels)).toEqual([{ zone: 'a' }, { zone: 'b' }]);
});

test('removes the handler\'s state folder with one pod per node, once the handler pods are gone, and deletes the pods', async () => {
  const api = new MemoryApi();
  for (const name of ['node-1', 'node-2']) api.seed(RESOURCES.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name } });
  api.seed(RESOURCES.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'virt-handler-x', namespace: 'virtstack', labels: { 'kubevirt.io': 'virt-handler' } } });
  const cleanup = { namespace: 'virtstack', image: 'localhost/virtstack/handler:dev', imagePullPolicy: 'IfNotPresent', stateDir: '/var/lib/virtstack/node/handler', handlerSelector: 'kubevirt.io=virt-handler' };
  const done = removeNodeState(api, cleanup, 30_000);
  await new Promise((r) => setTimeout(r, 1200));
  // nothing runs on the nodes while a handler pod is still there
  expect(api.all(RESOURCES.pods).map((p) => p.metadata.name)).toEqual(['virt-handler-x']);
  await api.delete(RESOURCES.pods, 'virtstack', 'virt-handler-x', { gracePeriodSeconds: 0 });
  let pods: Pod[] = [];
  for (let i = 0; i < 50 && pods.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 100));
    pods = api.all(RESOURCES.pods) as Pod[];
  }
  expect(pods.map((p) => [p.metadata.name, p.spec?.nodeName])).toEqual([['virtstack-node-cleanup-node-1', 'node-1'], ['virtstack-node-cleanup-node-2', 'node-2']]);
  const spec = pods[0]!.spec as unknown as { containers: { image: string; command: string[] }[]; volumes: { hostPath: { path: string } }[]; restartPolicy: string };
  expect(spec.containers[0]).toEqual(expect.objectContaining({ image: 'localhost/virtstack/handler:dev', command: ['rm', '-rf', '--one-file-system', '/node/handler'] }));
  expect(spec.volumes[0]!.hostPath.path).toBe('/var/lib/virtstack/node');
  expect(spec.restartPolicy).toBe('Never');
  for (const p of pods) await api.patch(RESOURCES.pods, 'virtstack', p.metadata.name ?? '', { status: { phase: 'Succeeded' } }, 'merge', { subresource: 'status' });
  expect(await done).toEqual(['node-1', 'node-2']);
  expect(api.all(RESOURCES.pods)).toEqual([]);
});

test('a node whose cleanup pod fails is named in the error', async () => {
  const api = new MemoryApi();
  api.seed(RESOURCES.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } });
  const done = removeNodeState(api, { namespace: 'virtstack', image: 'i', imagePullPolicy: 'Never', stateDir: '/var/lib/virtstack/node/handler', handlerSelector: 'kubevirt.io=virt-handler' }, 30_000);
  for (let i = 0; i < 50 && api.all(RESOURCES.pods).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  await api.patch(RESOURCES.pods, 'virtstack', 'virtstack-node-cleanup-node-1', { status: { phase: 'Failed', message: 'rm: cannot remove' } }, 'merge', { subresource: 'status' });
  await expect(done).rejects.toThrow(/removing \/var\/lib\/virtstack\/node\/handler on node node-1 failed \(pod virtstack\/virtstack-node-cleanup-node-1: rm: cannot remove\)/);
  await expect(removeNodeState(api, { namespace: 'virtstack', image: 'i', imagePullPolicy: 'Never', stateDir: '/', handlerSelector: 'a=b' }, 1000)).rejects.toThrow(/not an absolute path below \//);
});
