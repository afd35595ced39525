import type { VirtualMachinePool } from '../../api/index.js';
import { memberVm, updatedMember } from './member-vm.js';
import { ordinalOf, POOL_LABELS, templateRevision } from './pool-names.js';

const pool = (o: Partial<VirtualMachinePool['spec']> = {}): VirtualMachinePool => ({
  apiVersion: 'pool.kubevirt.io/v1beta1', kind: 'VirtualMachinePool',
  metadata: { name: 'web', namespace: 'ns', uid: 'pool-uid' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    virtualMachineTemplate: {
      metadata: { labels: { app: 'web' } },
      spec: {
        runStrategy: 'Always',
        dataVolumeTemplates: [{ metadata: { name: 'root' }, spec: { source: { blank: {} }, storage: { resources: { requests: { storage: '64Mi' } } } } }],
        template: {
          spec: {
            domain: { devices: { disks: [{ name: 'root' }, { name: 'ci' }] } },
            volumes: [
              { name: 'root', dataVolume: { name: 'root' } },
              { name: 'ci', cloudInitNoCloud: { secretRef: { name: 'web-ci' }, networkDataSecretRef: { name: 'web-net' } } },
            ],
          },
        },
      },
    },
    ...o,
  },
} as VirtualMachinePool);

describe('memberVm', () => {
  test("upstream's naming, labels on the VM and its VMI template, a controller reference to the pool", () => {
    const vm = memberVm(pool(), 3, 'web-abc');
    expect(vm.metadata.name).toBe('web-3');
    expect(vm.metadata.labels).toEqual({ app: 'web', [POOL_LABELS.pool]: 'web', [POOL_LABELS.revision]: 'web-abc' });
    expect(vm.spec.template.metadata?.labels).toEqual({ [POOL_LABELS.pool]: 'web', [POOL_LABELS.revision]: 'web-abc' });
    expect(vm.metadata.ownerReferences).toEqual([{ apiVersion: 'pool.kubevirt.io/v1beta1', kind: 'VirtualMachinePool', name: 'web', uid: 'pool-uid', controller: true, blockOwnerDeletion: true }]);
  });

  test('each replica gets its own DataVolumes, and the volumes name them', () => {
    const vm = memberVm(pool(), 1, 'r');
    expect(vm.spec.dataVolumeTemplates?.map((t) => t.metadata.name)).toEqual(['root-1']);
    expect(vm.spec.template.spec.volumes?.[0]?.dataVolume?.name).toBe('root-1');
  });

  test('cloud-init Secrets get the ordinal only with nameGeneration.appendIndexToSecretRefs', () => {
    expect(memberVm(pool(), 2, 'r').spec.template.spec.volumes?.[1]?.cloudInitNoCloud).toEqual({ secretRef: { name: 'web-ci' }, networkDataSecretRef: { name: 'web-net' } });
    expect(memberVm(pool({ nameGeneration: { appendIndexToSecretRefs: true } }), 2, 'r').spec.template.spec.volumes?.[1]?.cloudInitNoCloud)
      .toEqual({ secretRef: { name: 'web-ci-2' }, networkDataSecretRef: { name: 'web-net-2' } });
  });

  test('the template is not changed by building members from it', () => {
    const p = pool();
    const before = JSON.stringify(p);
    memberVm(p, 0, 'r');
    expect(JSON.stringify(p)).toBe(before);
  });

  test('an update keeps the VM\'s own metadata and replaces spec and pool labels', () => {
    const cached = { ...memberVm(pool(), 0, 'old'), metadata: { ...memberVm(pool(), 0, 'old').metadata, uid: 'vm-uid', resourceVersion: '7', labels: { extra: 'x', [POOL_LABELS.revision]: 'old' } }, status: { ready: true } };
    const next = updatedMember(pool(), cached as never, 0, 'new');
    expect(next.metadata).toMatchObject({ uid: 'vm-uid', resourceVersion: '7', labels: { extra: 'x', app: 'web', [POOL_LABELS.revision]: 'new' } });
    expect('status' in next).toBe(false);
    expect(next.spec.template.metadata?.labels?.[POOL_LABELS.revision]).toBe('new');
  });
});

describe('names and revisions', () => {
  test('ordinals are read back only from <pool>-<n>', () => {
    expect(ordinalOf('web', 'web-12')).toBe(12);
    for (const n of ['web-', 'web-01', 'web-x', 'webs-1', 'web-1-2']) expect(ordinalOf('web', n)).toBeUndefined();
  });

  test('the revision follows the template (not key order, not replicas) and fits a label value', () => {
    const a = pool();
    const b = pool({ replicas: 9 });
    expect(templateRevision(a)).toBe(templateRevision(b));
    const c = pool();
    c.spec.virtualMachineTemplate.spec.runStrategy = 'Halted';
    expect(templateRevision(c)).not.toBe(templateRevision(a));
    const long = pool();
    long.metadata.name = 'x'.repeat(80);
    expect(templateRevision(long).length).toBeLessThanOrEqual(63);
  });
});
