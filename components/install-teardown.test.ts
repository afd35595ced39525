// What KubeVirtInstall's destroy does beyond its own objects, against an in-memory cluster: every VM, VMI
// and DataVolume deleted and waited for until their launcher pods are gone, then the handler's node labels.
import { MemoryApi } from '../virt/kube/testing/memory-api.js';
import { RESOURCES } from '../virt/kube/resources.js';
import { drainVirtualMachines, removeNodeLabels } from './install-teardown.js';

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
