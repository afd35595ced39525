// A VirtualMachinePool on the local cluster: `<pool>-<n>` VMs of the test guest, `kubectl scale vmpool` up
// and down (the highest ordinals go), a deleted member comes back, upstream's columns, and a template change
// rolled with maxUnavailable 1 — the Ready count sampled all along never under replicas − 1. One pool of
// booted VMs is shared by the tests in order; a second pool is never started (names only).
import { waitFor } from './exec.js';
import { api } from './kube-api.js';
import { GUEST_IMAGE, stackNamespace } from './stack.js';
import { kubectlOk as ok } from './testing.js';

const ns = stackNamespace('vm-pool');

interface Obj {
  metadata: { name: string; uid: string; generation?: number; deletionTimestamp?: string; labels?: Record<string, string>; ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[] };
  spec?: Record<string, unknown>;
  status?: { conditions?: { type: string; status: string }[]; replicas?: number; readyReplicas?: number; updatedReadyReplicas?: number; observedGeneration?: number; currentRevision?: string };
}

const REVISION = 'kubevirt.io/vm-pool-revision-name';

function poolManifest(name: string, replicas: number, o: { runStrategy?: string; userData?: string; extra?: Record<string, unknown> } = {}): string {
  return JSON.stringify({
    apiVersion: 'pool.kubevirt.io/v1beta1', kind: 'VirtualMachinePool',
    metadata: { name, namespace: ns.name },
    spec: {
      replicas,
      maxUnavailable: 1,
      selector: { matchLabels: { app: name } },
      virtualMachineTemplate: {
        metadata: { labels: { app: name } },
        spec: {
          runStrategy: o.runStrategy ?? 'Always',
          template: {
            metadata: { labels: { app: name } },
            spec: {
              domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }, { name: 'cloudinit', disk: { bus: 'virtio' } }] } },
              terminationGracePeriodSeconds: 5,
              volumes: [
                { name: 'root', containerDisk: { image: GUEST_IMAGE, imagePullPolicy: 'Never' } },
                { name: 'cloudinit', cloudInitNoCloud: { userData: o.userData ?? '#cloud-config\n' } },
              ],
            },
          },
        },
      },
      ...o.extra,
    },
  });
}

const vmis = async (pool: string) => (await api<{ items: Obj[] }>('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachineinstances?labelSelector=kubevirt.io/vmpool%3D${pool}`)).items;
const vms = async (pool: string) => (await api<{ items: Obj[] }>('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachines?labelSelector=kubevirt.io/vmpool%3D${pool}`)).items.filter((v) => !v.metadata.deletionTimestamp);
const getPool = (name: string) => api<Obj>('GET', `/apis/pool.kubevirt.io/v1beta1/namespaces/${ns.name}/virtualmachinepools/${name}`);
const isReady = (o: Obj) => !o.metadata.deletionTimestamp && (o.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const readyCount = async (pool: string) => (await vmis(pool)).filter(isReady).length;
const names = (list: Obj[]) => list.map((v) => v.metadata.name).sort();

/** The pool has seen its spec, has exactly `n` VMs, all Ready from the current template. */
async function rolledOut(pool: string, n: number, timeoutMs: number): Promise<Obj> {
  return waitFor(`pool ${pool}: ${n} VMs Ready from the current template`, timeoutMs, async () => {
    const p = await getPool(pool);
    const s = p.status ?? {};
    return s.observedGeneration === p.metadata.generation && s.replicas === n && s.readyReplicas === n && s.updatedReadyReplicas === n ? p : undefined;
  }, 1000);
}

test('a pool of 2 runs web-0 and web-1, owned by the pool, with upstream\'s Desired/Current/Ready columns', async () => {
  ok(['apply', '-f', '-'], poolManifest('web', 2));
  const pool = await rolledOut('web', 2, 300_000);
  const list = await vms('web');
  expect(names(list)).toEqual(['web-0', 'web-1']);
  for (const vm of list) expect(vm.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'VirtualMachinePool', name: 'web', uid: pool.metadata.uid, controller: true })]);
  expect(ok(['-n', ns.name, 'get', 'vmpool', 'web', '--no-headers']).trim().split(/\s+/).slice(0, 4)).toEqual(['web', '2', '2', '2']);
  expect(ok(['-n', ns.name, 'get', 'vmpool', 'web', '-o', 'jsonpath={.status.labelSelector}'])).toBe('app=web');
}, 420_000);

test('kubectl scale vmpool up adds the next ordinal', async () => {
  ok(['-n', ns.name, 'scale', 'vmpool', 'web', '--replicas=3']);
  await rolledOut('web', 3, 300_000);
  expect(names(await vms('web'))).toEqual(['web-0', 'web-1', 'web-2']);
}, 360_000);

test('a template change rolls every VM onto it, the Ready count sampled throughout never under replicas − maxUnavailable', async () => {
  const before = await getPool('web');
  const oldRevision = before.status?.currentRevision;
  const samples: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push(await readyCount('web'));
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  try {
    ok(['apply', '-f', '-'], poolManifest('web', 3, { userData: '#cloud-config\n# revision 2\n' }));
    const after = await rolledOut('web', 3, 600_000);
    expect(after.status?.currentRevision).not.toBe(oldRevision);
    for (const vmi of await vmis('web')) expect(vmi.metadata.labels?.[REVISION]).toBe(after.status?.currentRevision);
  } finally {
    sampling = false;
    await sampler;
  }
  // replicas 3, maxUnavailable 1: never fewer than 2 Ready, and the roll did take VMs down one at a time
  expect(Math.min(...samples)).toBeGreaterThanOrEqual(2);
  expect(samples).toContain(2);
}, 660_000);

test('kubectl scale vmpool down removes the highest ordinal and keeps the others', async () => {
  const uids = Object.fromEntries((await vms('web')).map((v) => [v.metadata.name, v.metadata.uid]));
  ok(['-n', ns.name, 'scale', 'vmpool', 'web', '--replicas=2']);
  await waitFor('web-2 to go', 180_000, async () => (names(await vms('web')).join() === 'web-0,web-1' ? true : undefined), 1000);
  await rolledOut('web', 2, 120_000);
  for (const vm of await vms('web')) expect(vm.metadata.uid).toBe(uids[vm.metadata.name]);
}, 360_000);

test('a deleted member comes back under its name and runs again', async () => {
  const old = (await vms('web')).find((v) => v.metadata.name === 'web-1')!;
  ok(['-n', ns.name, 'delete', 'vm', 'web-1', '--wait=false']);
  await waitFor('a new web-1', 180_000, async () => ((await vms('web')).some((v) => v.metadata.name === 'web-1' && v.metadata.uid !== old.metadata.uid) ? true : undefined), 1000);
  await rolledOut('web', 2, 300_000);
}, 420_000);

test('each member gets its own DataVolumes and (nameGeneration) its own cloud-init Secret', async () => {
  ok(['apply', '-f', '-'], poolManifest('disks', 2, {
    runStrategy: 'Halted',
    extra: { nameGeneration: { appendIndexToSecretRefs: true } },
  }).replace('"cloudInitNoCloud":{"userData":"#cloud-config\\n"}', '"cloudInitNoCloud":{"secretRef":{"name":"disks-ci"}}'));
  ok(['-n', ns.name, 'patch', 'vmpool', 'disks', '--type=json', '-p', JSON.stringify([
    { op: 'add', path: '/spec/virtualMachineTemplate/spec/dataVolumeTemplates', value: [{ metadata: { name: 'scratch' }, spec: { source: { blank: {} }, storage: { resources: { requests: { storage: '16Mi' } } } } }] },
    { op: 'add', path: '/spec/virtualMachineTemplate/spec/template/spec/domain/devices/disks/-', value: { name: 'scratch', disk: { bus: 'virtio' } } },
    { op: 'add', path: '/spec/virtualMachineTemplate/spec/template/spec/volumes/-', value: { name: 'scratch', dataVolume: { name: 'scratch' } } },
  ])]);
  const list = await waitFor('disks-0 and disks-1 with the DataVolume template', 120_000, async () => {
    const l = await vms('disks');
    return l.length === 2 && l.every((v) => JSON.stringify(v.spec).includes('"scratch-')) ? l : undefined;
  }, 1000);
  for (const vm of list) {
    const n = vm.metadata.name.slice('disks-'.length);
    const spec = vm.spec as { dataVolumeTemplates: { metadata: { name: string } }[]; template: { spec: { volumes: { name: string; dataVolume?: { name: string }; cloudInitNoCloud?: { secretRef?: { name: string } } }[] } } };
    expect(spec.dataVolumeTemplates.map((t) => t.metadata.name)).toEqual([`scratch-${n}`]);
    expect(spec.template.spec.volumes.find((v) => v.name === 'scratch')?.dataVolume?.name).toBe(`scratch-${n}`);
    expect(spec.template.spec.volumes.find((v) => v.name === 'cloudinit')?.cloudInitNoCloud?.secretRef?.name).toBe(`disks-ci-${n}`);
  }
  // and the VM controller creates each member's own DataVolume
  await waitFor('scratch-0 and scratch-1', 120_000, async () => {
    const dvs = (await api<{ items: Obj[] }>('GET', `/apis/cdi.kubevirt.io/v1beta1/namespaces/${ns.name}/datavolumes`)).items;
    return names(dvs).join() === 'scratch-0,scratch-1' ? true : undefined;
  }, 1000);
}, 300_000);
