// DataVolume clones on the local cluster: the test guest imported once, then cloned within its namespace
// (the target sized like the source) and into another namespace — refused at admission for a user until a
// RoleBinding in the source namespace lets that user create datavolumes/source, as CDI's check asks — each clone
// byte-identical to its source, and a VM booting the cross-namespace clone.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTestGuest } from '../guest/guest.js';
import { GUEST_MARKER } from '../guest/init-script.js';
import { applyObject, claimDir, httpDataVolume, IMMEDIATE, phaseEnded, waitDv } from './datavolume-helpers.js';
import { ImageServer } from './image-server.js';
import { launcherPodsOf, stackNamespace, vmObject, waitSerial, waitVmiPhase } from './stack.js';
import { kubectl, kubectlOk as ok, tempNamespace } from './testing.js';

const ns = stackNamespace('dv-clone');
const server = new ImageServer();
let other: { name: string; remove: () => Promise<void> } | undefined;

beforeAll(async () => {
  const guest = await buildTestGuest();
  server.serve('/guest.qcow2', { body: readFileSync(guest.bootableQcow2) });
  await server.start();
}, 300_000);
afterAll(async () => {
  await server.stop();
  if (other) {
    kubectl(['-n', other.name, 'delete', 'vm', '--all', '--wait=true'], undefined, 300_000);
    await other.remove();
  }
}, 330_000);

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

function cloneDv(namespace: string, name: string, source: { namespace: string; name: string }): Record<string, unknown> {
  return { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name, namespace, annotations: IMMEDIATE }, spec: { source: { pvc: source }, storage: {} } };
}

test('a clone in the same namespace is byte-identical to its source', async () => {
  applyObject(httpDataVolume(ns.name, 'golden', server.url('/guest.qcow2'), '64Mi', { annotations: IMMEDIATE }));
  expect((await waitDv(ns.name, 'golden', (d) => phaseEnded(d.status?.phase), 'imported', 300_000)).status?.phase).toBe('Succeeded');
  applyObject(cloneDv(ns.name, 'copy', { namespace: ns.name, name: 'golden' }));
  const phases = new Set<string>();
  const dv = await waitDv(ns.name, 'copy', (d) => {
    if (d.status?.phase) phases.add(d.status.phase);
    return phaseEnded(d.status?.phase);
  }, 'cloned', 300_000);
  expect(dv.status?.phase).toBe('Succeeded');
  expect([...phases]).toEqual(expect.arrayContaining(['CloneScheduled']));
  expect(sha(join(await claimDir(ns.name, 'copy'), 'disk.img'))).toBe(sha(join(await claimDir(ns.name, 'golden'), 'disk.img')));
  // The source pod is gone with the clone done.
  await waitDv(ns.name, 'copy', () => !ok(['-n', ns.name, 'get', 'pods', '-o', 'name']).includes('source-pod'), 'source pod gone', 60_000);
}, 600_000);

test('a clone across namespaces is refused for a user without datavolumes/source in the source namespace, admitted once granted, and boots', async () => {
  other = await tempNamespace('dv-clone-target');
  // alice may create DataVolumes in the target namespace, nothing in the source one.
  const user = `alice-${other.name}`;
  applyObject({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'dv-writer', namespace: other.name }, rules: [{ apiGroups: ['cdi.kubevirt.io'], resources: ['datavolumes'], verbs: ['create'] }] });
  applyObject({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'dv-writer', namespace: other.name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'dv-writer' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }] });
  const create = () => kubectl(['--as', user, 'create', '-f', '-'], JSON.stringify(cloneDv(other!.name, 'xcopy', { namespace: ns.name, name: 'golden' })));
  const refused = create();
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain(`spec.source.pvc.namespace: user "${user}" may not clone claim ${ns.name}/golden: cloning from namespace ${ns.name} needs create on datavolumes/source (cdi.kubevirt.io) there`);
  expect(kubectl(['-n', other.name, 'get', 'dv', 'xcopy']).code).not.toBe(0);
  applyObject({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'clone-source', namespace: ns.name }, rules: [{ apiGroups: ['cdi.kubevirt.io'], resources: ['datavolumes/source'], verbs: ['create'] }] });
  applyObject({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'clone-source', namespace: ns.name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'clone-source' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
  });
  // RBAC changes reach the authorizer's cache within a moment.
  let admitted = create();
  for (let i = 0; i < 20 && admitted.code !== 0; i++) {
    await new Promise((r) => setTimeout(r, 500));
    admitted = create();
  }
  expect({ code: admitted.code, stderr: admitted.stderr }).toEqual({ code: 0, stderr: '' });
  const dv = await waitDv(other.name, 'xcopy', (d) => phaseEnded(d.status?.phase), 'cloned', 300_000);
  expect(dv.status?.phase).toBe('Succeeded');
  expect(sha(join(await claimDir(other.name, 'xcopy'), 'disk.img'))).toBe(sha(join(await claimDir(ns.name, 'golden'), 'disk.img')));

  const vm = vmObject(other.name, 'clone-vm', 'Always', {
    edit: (spec) => {
      spec.volumes = spec.volumes.map((v) => (v.name === 'root' ? { name: 'root', dataVolume: { name: 'xcopy' } } : v));
    },
  });
  applyObject(vm);
  await waitVmiPhase(other.name, 'clone-vm', 'Running', 300_000);
  const [pod] = await launcherPodsOf(other.name, 'clone-vm');
  expect(await waitSerial(pod!, GUEST_MARKER, 300_000)).toContain(GUEST_MARKER);
}, 900_000);
