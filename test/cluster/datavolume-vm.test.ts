// A VM whose root disk is a dataVolumeTemplate imported over HTTP (the test guest's qcow2 from a server
// in this process) onto the late-binding local-path class: the VM owns the DataVolume, says Provisioning
// while the disk is bound and imported, boots the imported disk (the guest's marker on its serial log),
// its counter survives a restart of the VM, and deleting the VM deletes the DataVolume and its claim.
import { readFileSync } from 'node:fs';
import { buildTestGuest } from '../guest/guest.js';
import { COUNTER_PREFIX, GUEST_MARKER } from '../guest/init-script.js';
import { waitFor } from './exec.js';
import { getDv } from './datavolume-helpers.js';
import { ImageServer } from './image-server.js';
import { api } from './kube-api.js';
import { getVmi, launcherPodsOf, stackNamespace, vmObject, waitSerial, waitVmiPhase } from './stack.js';
import { kubectlOk as ok } from './testing.js';

const ns = stackNamespace('dv-vm');
const server = new ImageServer();

beforeAll(async () => {
  const guest = await buildTestGuest();
  server.serve('/guest.qcow2', { body: readFileSync(guest.bootableQcow2) });
  await server.start();
}, 300_000);
afterAll(() => server.stop());

interface VmStatus { printableStatus?: string }

test('a VM boots the disk its dataVolumeTemplate imported; the counter survives a restart; the VM takes the DataVolume along', async () => {
  const vm = vmObject(ns.name, 'imported', 'Always', {
    edit: (spec) => {
      spec.volumes = spec.volumes.map((v) => (v.name === 'root' ? { name: 'root', dataVolume: { name: 'imported-root' } } : v));
    },
  }) as { spec: Record<string, unknown> };
  vm.spec.dataVolumeTemplates = [{
    metadata: { name: 'imported-root' },
    spec: { source: { http: { url: server.url('/guest.qcow2') } }, storage: { resources: { requests: { storage: '64Mi' } } } },
  }];
  ok(['apply', '-f', '-'], JSON.stringify(vm));
  const statuses = new Set<string>();
  await waitFor('VM imported to run', 420_000, async () => {
    const v = await api<{ status?: VmStatus }>('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachines/imported`);
    if (v.status?.printableStatus) statuses.add(v.status.printableStatus);
    return v.status?.printableStatus === 'Running' ? true : undefined;
  }, 300);
  expect([...statuses]).toContain('Provisioning');
  const dv = await getDv(ns.name, 'imported-root');
  expect(dv?.status?.phase).toBe('Succeeded');
  expect(dv?.metadata.ownerReferences?.[0]?.kind).toBe('VirtualMachine');
  let [pod] = await launcherPodsOf(ns.name, 'imported');
  const first = await waitSerial(pod!, `${COUNTER_PREFIX}20`, 300_000);
  expect(first).toContain(GUEST_MARKER);

  // Restart: the disk is the claim's, so the counter goes on from where it was.
  const patch = (s: string) => ok(['-n', ns.name, 'patch', 'vm', 'imported', '--type=merge', '-p', JSON.stringify({ spec: { runStrategy: s } })]);
  patch('Halted');
  await waitFor('the VMI to go', 180_000, async () => ((await getVmi(ns.name, 'imported')) ? undefined : true));
  const last = Math.max(...[...first.matchAll(new RegExp(`${COUNTER_PREFIX}(\\d+)`, 'g'))].map((m) => Number(m[1])));
  patch('Always');
  await waitVmiPhase(ns.name, 'imported', 'Running', 300_000);
  [pod] = await launcherPodsOf(ns.name, 'imported');
  const second = await waitSerial(pod!, new RegExp(`${COUNTER_PREFIX}\\d+`), 300_000);
  const firstAfter = Number(new RegExp(`${COUNTER_PREFIX}(\\d+)`).exec(second)![1]);
  expect(firstAfter).toBeGreaterThanOrEqual(last - 10);
  expect(server.hits.get('/guest.qcow2')).toBe(1);

  ok(['-n', ns.name, 'delete', 'vm', 'imported', '--wait=true'], undefined, 300_000);
  await waitFor('the DataVolume and its claim to go', 120_000, async () => {
    const dvGone = (await getDv(ns.name, 'imported-root')) === undefined;
    const pvc = await api('GET', `/api/v1/namespaces/${ns.name}/persistentvolumeclaims/imported-root`).then(() => true, () => false);
    return dvGone && !pvc ? true : undefined;
  });
}, 900_000);
