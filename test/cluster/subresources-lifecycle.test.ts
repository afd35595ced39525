// subresources.kubevirt.io on the local cluster, as a user reaches it: requests to the kube-apiserver, which
// proxies them through the APIService to the api, which changes the VM as upstream's virt-api does (Halted
// and Always by spec.runStrategy, Manual through status.stateChangeRequests) or calls the handler of the
// VMI's node (pause, unpause). Each step is checked where upstream shows it: the VM's runStrategy,
// printableStatus, its VMI, the VMI's Paused condition.
import { COUNTER_PREFIX } from '../guest/init-script.js';
import { waitFor } from './exec.js';
import { api } from './kube-api.js';
import { getVmi, stackNamespace, vmManifest, waitVmiPhase } from './stack.js';
import { call, openStream, readUntil, subresourcePath } from './subresources-client.js';
import { kubectlOk as ok } from './testing.js';

const ns = stackNamespace('subres', { 'pod-security.kubernetes.io/enforce': 'baseline' });

interface Vm {
  metadata: { uid: string };
  spec: { runStrategy?: string };
  status?: { printableStatus?: string; stateChangeRequests?: unknown[] };
}

const getVm = (name: string) => api<Vm>('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachines/${name}`);
const vmPath = (name: string, sub: string) => subresourcePath(ns.name, 'virtualmachines', name, sub);
const vmiPath = (name: string, sub: string) => subresourcePath(ns.name, 'virtualmachineinstances', name, sub);

async function waitPrintable(name: string, status: string, timeoutMs = 300_000): Promise<Vm> {
  let last: Vm | undefined;
  return waitFor(`VM ${name} printableStatus ${status}`, timeoutMs, async () => {
    last = await getVm(name);
    return last.status?.printableStatus === status ? last : undefined;
  }).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}; last status ${JSON.stringify(last?.status)}`);
  });
}

const waitNoVmi = (name: string) => waitFor(`VMI ${name} to go`, 180_000, async () => ((await getVmi(ns.name, name)) ? undefined : true));

test('discovery: the APIService is Available and the kube-apiserver lists the group with its subresources', async () => {
  const svc = await api<{ status?: { conditions?: { type: string; status: string }[] } }>('GET', '/apis/apiregistration.k8s.io/v1/apiservices/v1.subresources.kubevirt.io');
  expect(svc.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
  const list = await api<{ resources: { name: string; verbs: string[] }[] }>('GET', '/apis/subresources.kubevirt.io/v1');
  expect(list.resources.map((r) => r.name).sort()).toEqual(
    ['virtualmachineinstances/console', 'virtualmachineinstances/pause', 'virtualmachineinstances/unpause', 'virtualmachineinstances/vnc', 'virtualmachines/restart', 'virtualmachines/start', 'virtualmachines/stop'],
  );
  expect(ok(['api-versions'])).toMatch(/^subresources\.kubevirt\.io\/v1$/m);
  // the aggregator merged the api's OpenAPI documents into its own (what kubectl reads)
  const v3 = await api<{ paths: Record<string, unknown> }>('GET', '/openapi/v3');
  expect(Object.keys(v3.paths)).toContain('apis/subresources.kubevirt.io/v1');
  await waitFor('the OpenAPI v2 document to hold the start path', 60_000, async () => {
    const v2 = await api<{ paths: Record<string, unknown> }>('GET', '/openapi/v2');
    return v2.paths['/apis/subresources.kubevirt.io/v1/namespaces/{namespace}/virtualmachines/{name}/start'] ? true : undefined;
  });
}, 120_000);

test('Halted: start makes it Always and Running; a second start is 409; stop makes it Halted and Stopped; a second stop is 409', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'halted', 'Halted'));
  await waitPrintable('halted', 'Stopped', 60_000);
  const started = await call('PUT', vmPath('halted', 'start'));
  expect([started.code, started.body]).toEqual([202, '']);
  expect((await getVm('halted')).spec.runStrategy).toBe('Always');
  await waitVmiPhase(ns.name, 'halted', 'Running', 300_000);
  await waitPrintable('halted', 'Running');
  expect(await call('PUT', vmPath('halted', 'start'))).toMatchObject({
    code: 409,
    status: { kind: 'Status', reason: 'Conflict', message: 'Operation cannot be fulfilled on virtualmachine.kubevirt.io "halted": VM is already running' },
  });
  expect((await call('PUT', vmPath('halted', 'stop'))).code).toBe(202);
  expect((await getVm('halted')).spec.runStrategy).toBe('Halted');
  await waitNoVmi('halted');
  await waitPrintable('halted', 'Stopped');
  expect(await call('PUT', vmPath('halted', 'stop'))).toMatchObject({ code: 409, status: { reason: 'Conflict', message: expect.stringMatching(/"halted": VM is not running$/) } });
  expect(await call('PUT', vmPath('nope', 'start'))).toMatchObject({ code: 404, status: { reason: 'NotFound', message: 'virtualmachine.kubevirt.io "nope" not found' } });
}, 900_000);

test('Manual: start runs it through a state change request (runStrategy stays Manual); pause and unpause; restart gives a new VMI; stop ends it', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'manual', 'Manual'));
  await waitPrintable('manual', 'Stopped', 60_000);
  expect((await call('PUT', vmPath('manual', 'start'))).code).toBe(202);
  const first = await waitVmiPhase(ns.name, 'manual', 'Running', 300_000);
  const vm = await waitPrintable('manual', 'Running');
  expect(vm.spec.runStrategy).toBe('Manual');
  await waitFor('the Start request to be consumed', 60_000, async () => ((await getVm('manual')).status?.stateChangeRequests === undefined ? true : undefined));

  // pause: the handler of the VMI's node suspends the domain; the VMI says Paused (PausedByUser), the VM Paused
  expect(await call('PUT', vmiPath('manual', 'pause'))).toMatchObject({ code: 200 });
  await waitFor('the VMI Paused condition', 60_000, async () => {
    const c = (await getVmi(ns.name, 'manual'))?.status?.conditions?.find((x) => x.type === 'Paused');
    return c?.status === 'True' && c.reason === 'PausedByUser' ? c : undefined;
  });
  await waitPrintable('manual', 'Paused', 60_000);
  expect(await call('PUT', vmiPath('manual', 'pause'))).toMatchObject({ code: 409, status: { reason: 'Conflict', message: expect.stringMatching(/VMI is already paused$/) } });
  expect((await call('PUT', vmiPath('manual', 'unpause'))).code).toBe(200);
  await waitPrintable('manual', 'Running', 60_000);
  expect(await call('PUT', vmiPath('manual', 'unpause'))).toMatchObject({ code: 409, status: { message: expect.stringMatching(/VMI is not paused$/) } });
  // and the guest runs on: its counter goes on on the console, through kube-apiserver -> api -> handler -> launcher
  const stream = await openStream(vmiPath('manual', 'console'));
  if (!('ws' in stream)) throw new Error(`console refused: ${stream.code} ${stream.body}`);
  expect(await readUntil(stream.ws, new RegExp(`${COUNTER_PREFIX}\\d+`), 60_000)).toContain(COUNTER_PREFIX);

  expect((await call('PUT', vmPath('manual', 'restart'))).code).toBe(202);
  const second = await waitFor('a new VMI to run', 300_000, async () => {
    const v = await getVmi(ns.name, 'manual');
    return v && v.metadata.uid !== first.metadata.uid && v.status?.phase === 'Running' ? v : undefined;
  });
  expect(second.metadata.uid).not.toBe(first.metadata.uid);
  expect((await getVm('manual')).spec.runStrategy).toBe('Manual');

  expect((await call('PUT', vmPath('manual', 'stop'))).code).toBe(202);
  await waitNoVmi('manual');
  const stopped = await waitPrintable('manual', 'Stopped');
  expect(stopped.spec.runStrategy).toBe('Manual');
  expect(await call('PUT', vmiPath('manual', 'pause'))).toMatchObject({ code: 404, status: { reason: 'NotFound', message: 'virtualmachineinstance.kubevirt.io "manual" not found' } });
}, 1_200_000);
