// dataVolumeTemplates with the VM, VMI and DataVolume controllers together against the in-memory API: the
// VM's DataVolumes, Provisioning until they are populated, the binding pod for a late-binding class, and
// garbage collection of exactly the VM's own DataVolumes.
import type { DataVolume, VirtualMachine } from '../../api/index.js';
import type { Pod } from '../../kube/core-types.js';
import { RESOURCES } from '../../kube/resources.js';
import { ANN } from '../datavolume/cdi-names.js';
import type { PersistentVolumeClaim } from '../datavolume/claim.js';
import { STORAGE_CLASSES, type StorageClass } from '../datavolume/storage-class.js';
import { newVm } from '../testing/builders.js';
import { Harness, NS } from '../testing/harness.js';
import { EPHEMERAL_PROVISIONING_ANNOTATION } from '../vmi/first-consumer-pod.js';

let h: Harness;
beforeEach(() => {
  h = new Harness();
});
afterEach(() => h.stop());

const withRootFromTemplate = (vm: VirtualMachine): void => {
  vm.spec.dataVolumeTemplates = [{ metadata: { name: 'vm1-root', labels: { disk: 'root' } }, spec: { source: { http: { url: 'http://images.example/guest.qcow2' } }, storage: { resources: { requests: { storage: '64Mi' } } } } }];
  vm.spec.template.spec.domain.devices = { ...vm.spec.template.spec.domain.devices, disks: [{ name: 'root', disk: { bus: 'virtio' } }] };
  vm.spec.template.spec.volumes = [{ name: 'root', dataVolume: { name: 'vm1-root' } }];
};

const dv = (name = 'vm1-root') => h.api.all<DataVolume>(RESOURCES.dataVolumes).find((d) => d.metadata.name === name);
const pvc = (name = 'vm1-root') => h.api.all<PersistentVolumeClaim>(RESOURCES.persistentVolumeClaims).find((d) => d.metadata.name === name);
const launcherPods = () => h.pods().filter((p) => p.metadata.annotations?.[EPHEMERAL_PROVISIONING_ANNOTATION] !== 'true');
const bindingPods = () => h.pods().filter((p) => p.metadata.annotations?.[EPHEMERAL_PROVISIONING_ANNOTATION] === 'true');

/** What the importer's completion leaves on the claim (the DataVolume controller then says Succeeded). */
async function populated(name = 'vm1-root'): Promise<void> {
  await h.api.patch(RESOURCES.persistentVolumeClaims, NS, name, { metadata: { annotations: { [ANN.podPhase]: 'Succeeded' } } }, 'merge');
}

describe('dataVolumeTemplates', () => {
  it('the VM creates its DataVolume, shows Provisioning, and starts the VMI once it is populated', async () => {
    h.start();
    await h.createVm(newVm(withRootFromTemplate));
    const d = await h.until('template DataVolume', () => dv());
    expect(d.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'VirtualMachine', name: 'vm1', uid: h.vm()!.metadata.uid, controller: true });
    expect(d.metadata.labels).toEqual({ disk: 'root' });
    expect(d.spec.source?.http?.url).toBe('http://images.example/guest.qcow2');
    await h.until('Provisioning', () => h.vm()?.status?.printableStatus === 'Provisioning');
    expect(h.vmi()).toBeUndefined();
    expect(h.events('SuccessfulDataVolumeCreate').map((e) => e.message)).toEqual(['Created DataVolume vm1-root']);
    await h.until('claim', () => pvc());
    await populated();
    await h.until('VMI once Succeeded', () => dv()?.status?.phase === 'Succeeded' && h.vmi());
    await h.until('launcher pod', () => launcherPods().length === 1);
  });

  it('on a late-binding class: the VMI, a binding pod (no launcher), then the import, then the launcher', async () => {
    h.api.seed<StorageClass>(STORAGE_CLASSES, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, volumeBindingMode: 'WaitForFirstConsumer' });
    h.start();
    await h.createVm(newVm(withRootFromTemplate));
    await h.until('WaitForFirstConsumer', () => dv()?.status?.phase === 'WaitForFirstConsumer');
    await h.until('VMI', () => h.vmi());
    const [binding] = await h.until('binding pod', () => (bindingPods().length ? bindingPods() : undefined));
    expect(launcherPods()).toEqual([]);
    expect(binding!.spec!.containers!.map((c) => c.name)).toEqual(['compute']);
    expect((binding!.spec!.volumes as { persistentVolumeClaim?: { claimName: string } }[]).map((v) => v.persistentVolumeClaim?.claimName)).toEqual(['vm1-root']);
    // The scheduler places the binding pod: the claim gets its node, the import starts, the binding pod goes.
    await h.runPod(binding!);
    await h.api.patch(RESOURCES.persistentVolumeClaims, NS, 'vm1-root', { metadata: { annotations: { [ANN.selectedNode]: 'node-1' } } }, 'merge');
    await h.until('importer pod', () => h.api.all<Pod>(RESOURCES.pods).find((p) => p.metadata.name === 'importer-vm1-root'));
    await h.until('binding pod deleted', () => bindingPods().every((p) => p.metadata.deletionTimestamp !== undefined) || bindingPods().length === 0);
    expect(launcherPods()).toEqual([]);
    await populated();
    await h.until('launcher pod after the import', () => launcherPods().length === 1);
  });

  it('deleting the VM deletes its template DataVolumes, not one it only references', async () => {
    h.start();
    await h.api.create(RESOURCES.dataVolumes, { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name: 'shared', namespace: NS }, spec: { source: { blank: {} }, storage: { resources: { requests: { storage: '64Mi' } } } } } as DataVolume);
    await h.createVm(newVm(withRootFromTemplate, (vm) => {
      vm.spec.template.spec.domain.devices.disks!.push({ name: 'data', disk: { bus: 'virtio' } });
      vm.spec.template.spec.volumes!.push({ name: 'data', dataVolume: { name: 'shared' } });
    }));
    await h.until('template DataVolume', () => dv());
    await h.api.delete(RESOURCES.virtualMachines, NS, 'vm1');
    await h.until('template DataVolume gone', () => !dv());
    expect(dv('shared')).toBeDefined();
  });

  it('a DataVolume of that name that is not the VM\'s is a failure naming it', async () => {
    h.start();
    await h.api.create(RESOURCES.dataVolumes, { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name: 'vm1-root', namespace: NS }, spec: { source: { blank: {} }, storage: { resources: { requests: { storage: '64Mi' } } } } } as DataVolume);
    await h.createVm(newVm(withRootFromTemplate));
    await h.until('Failure condition', () => h.vm()?.status?.conditions?.find((c) => c.type === 'Failure' && c.reason === 'FailedDataVolumeCreate'));
    expect(h.vm()!.status!.conditions!.find((c) => c.type === 'Failure')!.message).toContain('DataVolume default/vm1-root of spec.dataVolumeTemplates exists and is not owned by this VirtualMachine');
    expect(h.vmi()).toBeUndefined();
  });

  it('a failing import shows DataVolumeError on the VM', async () => {
    h.api.seed<StorageClass>(STORAGE_CLASSES, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, volumeBindingMode: 'WaitForFirstConsumer' });
    h.start();
    await h.createVm(newVm(withRootFromTemplate, (vm) => {
      vm.spec.dataVolumeTemplates![0]!.metadata.annotations = { [ANN.immediateBinding]: 'true' };
    }));
    const pod = await h.until('importer pod', () => h.api.all<Pod>(RESOURCES.pods).find((p) => p.metadata.name === 'importer-vm1-root'));
    await h.api.updateStatus<Pod>(RESOURCES.pods, { ...pod, status: { phase: 'Running', containerStatuses: [{ name: 'importer', ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', message: '{"message":"HTTP 404 Not Found from http://images.example/guest.qcow2"}' } } }] } });
    await h.until('DataVolumeError', () => h.vm()?.status?.printableStatus === 'DataVolumeError');
    expect(h.vmi()).toBeUndefined();
  });
});
