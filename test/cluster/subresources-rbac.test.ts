// RBAC on the subresources, with service accounts' tokens (TokenRequest API) through the kube-apiserver: one
// bound to kubevirt.io:view reads VMs but is refused console, vnc, start and stop with a 403 naming it; one
// bound to the built-in edit role (which kubevirt.io:edit aggregates into) uses all of them.
import { waitFor } from './exec.js';
import { api } from './kube-api.js';
import { getVmi, stackNamespace, vmManifest, waitVmiPhase } from './stack.js';
import { call, openStream, readUntil, serviceAccountWithRole, subresourcePath, type Credentials } from './subresources-client.js';
import { kubectlOk as ok } from './testing.js';

const ns = stackNamespace('subres-rbac', { 'pod-security.kubernetes.io/enforce': 'baseline' });

let viewer: Credentials;
let editor: Credentials;

beforeAll(async () => {
  viewer = await serviceAccountWithRole(ns.name, 'viewer', 'kubevirt.io:view');
  editor = await serviceAccountWithRole(ns.name, 'editor', 'edit');
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'guarded', 'Always'));
  await waitVmiPhase(ns.name, 'guarded', 'Running', 300_000);
}, 600_000);

const vmPath = (sub: string) => subresourcePath(ns.name, 'virtualmachines', 'guarded', sub);
const vmiPath = (sub: string) => subresourcePath(ns.name, 'virtualmachineinstances', 'guarded', sub);
const forbidden = (verb: string, parent: string, sub: string) =>
  `${parent}.subresources.kubevirt.io "guarded" is forbidden: User "system:serviceaccount:${ns.name}:viewer" cannot ${verb} resource "${parent}/${sub}" in API group "subresources.kubevirt.io" in the namespace "${ns.name}"`;

test('kubevirt.io:view: get VMs and VMIs, but 403 Status from console, vnc, start and stop; the VM keeps running', async () => {
  expect((await call('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachines/guarded`, viewer)).code).toBe(200);
  expect((await call('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachineinstances/guarded`, viewer)).code).toBe(200);
  for (const sub of ['console', 'vnc']) {
    const r = await openStream(vmiPath(sub), viewer);
    expect('ws' in r).toBe(false);
    expect(r).toMatchObject({ code: 403, status: { kind: 'Status', reason: 'Forbidden', code: 403, message: forbidden('get', 'virtualmachineinstances', sub) } });
  }
  for (const sub of ['start', 'stop']) {
    expect(await call('PUT', vmPath(sub), viewer)).toMatchObject({ code: 403, status: { kind: 'Status', reason: 'Forbidden', message: forbidden('update', 'virtualmachines', sub) } });
  }
  expect(await call('PUT', vmiPath('pause'), viewer)).toMatchObject({ code: 403 });
  const vm = await api<{ spec: { runStrategy: string } }>('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachines/guarded`);
  expect(vm.spec.runStrategy).toBe('Always');
}, 120_000);

test('edit: console shows the guest, vnc answers with the RFB greeting, stop (gracePeriod 0) stops the VM and start starts it again', async () => {
  const consoleStream = await openStream(vmiPath('console'), editor);
  if (!('ws' in consoleStream)) throw new Error(`console refused: ${consoleStream.code} ${consoleStream.body}`);
  expect(await readUntil(consoleStream.ws, /virtstack-counter: \d+/, 60_000)).toMatch(/virtstack-counter: \d+/);
  const vnc = await openStream(vmiPath('vnc'), editor);
  if (!('ws' in vnc)) throw new Error(`vnc refused: ${vnc.code} ${vnc.body}`);
  expect(await readUntil(vnc.ws, /^RFB 003\.00\d\n/, 30_000)).toMatch(/^RFB 003\.00\d\n/);

  // with a grace period: the api sets the VMI's terminationGracePeriodSeconds first (admission lets the
  // api's service account change it), then runStrategy Halted
  expect(await call('PUT', vmPath('stop'), editor, { gracePeriod: 0 })).toMatchObject({ code: 202, body: '' });
  await waitFor('the VMI to go', 180_000, async () => ((await getVmi(ns.name, 'guarded')) ? undefined : true));
  expect((await call('PUT', vmPath('start'), editor)).code).toBe(202);
  await waitVmiPhase(ns.name, 'guarded', 'Running', 300_000);
}, 900_000);
