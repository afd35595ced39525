// The admission checks that read the cluster, against the in-memory API.
import type { VirtualMachineInstance } from '../../api/index.js';
import { RESOURCES } from '../../kube/resources.js';
import { MemoryApi } from '../../kube/testing/memory-api.js';
import type { Pod } from '../../kube/core-types.js';
import { launcherEvictionCheck } from './eviction-admission.js';
import { migrationCreateCheck } from './migration-admission.js';
import type { AdmissionRequest } from './review.js';

const user = { username: 'alice' };
const vmi = (phase: 'Running' | 'Pending', extra: Partial<VirtualMachineInstance['status']> = {}, strategy?: 'LiveMigrate' | 'None'): VirtualMachineInstance => ({
  apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'vm1', namespace: 'default', uid: 'vmi-uid' },
  spec: { domain: { devices: {} }, ...(strategy ? { evictionStrategy: strategy } : {}) }, status: { phase, nodeName: 'node-1', ...extra },
});
const vmimReq = (name = 'mig1'): AdmissionRequest => ({
  uid: 'r1', kind: { group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachineInstanceMigration' }, operation: 'CREATE', namespace: 'default', name, userInfo: user,
  object: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name, namespace: 'default' }, spec: { vmiName: 'vm1' } },
});

describe('migrationCreateCheck', () => {
  it('refuses a missing, not running or not migratable VMI, and a second unfinished migration; allows the rest', async () => {
    const api = new MemoryApi();
    const check = migrationCreateCheck(api);
    expect((await check.check(vmimReq()))?.status?.message).toMatch(/spec.vmiName: VirtualMachineInstance default\/vm1 does not exist/);
    api.seed(RESOURCES.virtualMachineInstances, vmi('Pending'));
    expect((await check.check(vmimReq()))?.status?.message).toMatch(/it is Pending, only a Running VMI migrates/);
    await api.delete(RESOURCES.virtualMachineInstances, 'default', 'vm1');
    api.seed(RESOURCES.virtualMachineInstances, vmi('Running', { conditions: [{ type: 'LiveMigratable', status: 'False', reason: 'DisksNotLiveMigratable', message: 'cannot migrate VMI: PVC disk is not shared' }] }));
    const r = await check.check(vmimReq());
    expect(r?.allowed).toBe(false);
    expect(r?.status?.message).toContain('Cannot migrate VMI, Reason: DisksNotLiveMigratable, Message: cannot migrate VMI: PVC disk is not shared');
    await api.delete(RESOURCES.virtualMachineInstances, 'default', 'vm1');
    api.seed(RESOURCES.virtualMachineInstances, vmi('Running', { conditions: [{ type: 'LiveMigratable', status: 'True' }] }));
    expect(await check.check(vmimReq())).toBeUndefined();
    api.seed(RESOURCES.migrations, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: 'older', namespace: 'default', uid: 'u-older' }, spec: { vmiName: 'vm1' }, status: { phase: 'Running' } });
    expect((await check.check(vmimReq()))?.status?.message).toMatch(/in-flight migration detected. Active migration job \(u-older\)/);
  });
});

describe('launcherEvictionCheck', () => {
  const pod = (node = 'node-1'): Pod => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'virt-launcher-vm1-x', namespace: 'default', labels: { 'kubevirt.io': 'virt-launcher' }, ownerReferences: [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', name: 'vm1', uid: 'vmi-uid', controller: true }] },
    spec: { nodeName: node },
  });
  const evict: AdmissionRequest = { uid: 'e1', kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, subResource: 'eviction', operation: 'CREATE', namespace: 'default', name: 'virt-launcher-vm1-x', userInfo: user, object: {} };

  it('turns the eviction of a LiveMigrate VMI\'s pod into an evacuation (429), and lets None through', async () => {
    const api = new MemoryApi();
    api.seed(RESOURCES.pods, pod());
    api.seed(RESOURCES.virtualMachineInstances, vmi('Running', {}, 'LiveMigrate'));
    const r = await launcherEvictionCheck(api).check(evict);
    expect(r?.status).toMatchObject({ code: 429, message: 'Eviction triggered evacuation of VMI "default/vm1"' });
    expect((await api.get<VirtualMachineInstance>(RESOURCES.virtualMachineInstances, 'default', 'vm1')).status?.evacuationNodeName).toBe('node-1');
    await api.delete(RESOURCES.virtualMachineInstances, 'default', 'vm1');
    api.seed(RESOURCES.virtualMachineInstances, vmi('Running', {}, 'None'));
    expect(await launcherEvictionCheck(api).check(evict)).toBeUndefined();
  });

  it('lets a pod that is not the one the guest runs in go (an old source)', async () => {
    const api = new MemoryApi();
    api.seed(RESOURCES.pods, pod('node-2'));
    api.seed(RESOURCES.virtualMachineInstances, vmi('Running', {}, 'LiveMigrate'));
    expect(await launcherEvictionCheck(api).check(evict)).toBeUndefined();
  });
});
