// VirtualMachine under Pulumi's mocks and against an in-memory cluster: the manifest it emits (runStrategy
// only, upstream's defaults, no provider await), its outputs from the VM and VMI, args refused by their arg
// path, and the readiness wait's error quoting conditions and Warning events.
import { RESOURCES } from '../virt/kube/resources.js';
import { setClusterConnector } from './cluster-connection.js';
import { mockWorld, settle, valueOf, type MockWorld } from './testing/pulumi-mocks.js';
import { ArgsError, vmManifest, VirtualMachine } from './virtual-machine.js';
import { vmState, waitForVmReady, VM_GENERATION_ANNOTATION } from './vm-readiness.js';

let world: MockWorld;
beforeEach(() => {
  world = mockWorld();
});
afterEach(() => {
  setClusterConnector(undefined);
});

const template = {
  metadata: { labels: { app: 'web' } },
  spec: {
    domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] } },
    volumes: [{ name: 'root', containerDisk: { image: 'localhost/virtstack/test-guest:dev', imagePullPolicy: 'Never' } }],
  },
};

function seedRunning(ns: string, name: string, generation = 1): void {
  world.api.seed(RESOURCES.virtualMachines, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: ns, generation, uid: `${name}-uid` },
    status: { ready: true, printableStatus: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  } as never);
  world.api.seed(RESOURCES.virtualMachineInstances, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name, namespace: ns, annotations: { [VM_GENERATION_ANNOTATION]: '1' } },
    status: { phase: 'Running', nodeName: 'node-2', interfaces: [{ ipAddress: '10.214.2.9' }] },
  } as never);
}

test('emits a kubevirt.io/v1 VirtualMachine with runStrategy only and upstream\'s defaults, and reports the VM as the cluster has it', async () => {
  seedRunning('apps', 'web');
  const vm = new VirtualMachine('web', { namespace: 'apps', template, labels: { team: 'a' } }, { transformations: [world.capture] });
  expect(await valueOf(vm.ready)).toBe(true);
  expect(await valueOf(vm.printableStatus)).toBe('Running');
  expect(await valueOf(vm.nodeName)).toBe('node-2');
  expect(await valueOf(vm.ipAddress)).toBe('10.214.2.9');
  expect(await valueOf(vm.vmiName)).toBe('web');
  expect(await valueOf(vm.namespace)).toBe('apps');
  await settle();
  const child = world.one('kubernetes:kubevirt.io/v1:VirtualMachine', 'web');
  expect(child.parent).toBe('web');
  expect(child.inputs).toEqual({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'web', namespace: 'apps', labels: { team: 'a' }, annotations: { 'pulumi.com/skipAwait': 'true', 'pulumi.com/patchForce': 'true' } },
    spec: { runStrategy: 'Always', template: { ...template, spec: { ...template.spec, domain: { ...template.spec.domain, machine: { type: 'q35' } } } } },
  });
});

test('misspelt or unsupported args are refused by their arg path, with the hint', () => {
  const bad = { ...template, spec: { ...template.spec, domain: { ...template.spec.domain, cpu: { corse: 2 }, devices: { ...template.spec.domain.devices, gpus: [{ name: 'g' }] } } } };
  let err: unknown;
  try {
    vmManifest('web', { template: bad, runStrategy: 'Sometimes' });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ArgsError);
  const message = (err as Error).message;
  expect(message).toMatch(/^VirtualMachine web has invalid args:/);
  expect(message).toMatch(/\n {2}runStrategy: .*"Sometimes"/);
  expect(message).toMatch(/\n {2}template\.spec\.domain\.cpu\.corse: unknown field "corse"; did you mean cores\?/);
  expect(message).toMatch(/\n {2}template\.spec\.domain\.devices\.gpus: supported by upstream KubeVirt, not by virtstack/);
  expect(message).not.toMatch(/\bspec\.template/);
});

test('a VM that does not get Ready fails with its VM and VMI conditions and its launcher pod\'s Warning events', async () => {
  const unschedulable = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available: 2 node(s) didn\'t match Pod\'s node affinity/selector.' };
  world.api.seed(RESOURCES.virtualMachines, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'db', namespace: 'apps' }, status: { printableStatus: 'ErrorUnschedulable', conditions: [{ type: 'Ready', status: 'False', reason: 'GuestNotRunning' }, unschedulable] } } as never);
  world.api.seed(RESOURCES.virtualMachineInstances, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'db', namespace: 'apps' }, status: { phase: 'Scheduling', conditions: [unschedulable] } } as never);
  const event = (name: string, kind: string, type: string, reason: string, message: string, at: string) =>
    world.api.seed(RESOURCES.events, { apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'apps' }, involvedObject: { kind, name: kind === 'Pod' ? 'virt-launcher-db-x1x2x' : 'db' }, type, reason, message, lastTimestamp: at } as never);
  event('e1', 'Pod', 'Warning', 'FailedScheduling', '0/2 nodes are available', '2026-12-01T10:00:02Z');
  event('e2', 'VirtualMachineInstance', 'Normal', 'SuccessfulCreate', 'Created virtual machine pod', '2026-12-01T10:00:01Z');
  event('e3', 'Pod', 'Warning', 'FailedScheduling', 'someone else', '2026-12-01T10:00:03Z');
  world.api.seed(RESOURCES.events, { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e4', namespace: 'apps' }, involvedObject: { kind: 'Pod', name: 'virt-launcher-dbx-aaaaa' }, type: 'Warning', reason: 'Other', message: 'another VM', lastTimestamp: '2026-12-01T10:00:04Z' } as never);
  const err = await waitForVmReady(world.api, 'apps', 'db', { timeoutMs: 200, pollMs: 20 }).then(() => undefined, (e: unknown) => e as Error);
  expect(err?.message).toMatch(/^VirtualMachine apps\/db did not become Ready within 0 s \(printableStatus ErrorUnschedulable\)\./);
  expect(err?.message).toContain("VM conditions: Ready=False GuestNotRunning; PodScheduled=False Unschedulable: 0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.");
  expect(err?.message).toContain('VMI db (phase Scheduling) conditions: PodScheduled=False Unschedulable');
  expect(err?.message).toContain('Warning events: Pod/virt-launcher-db-x1x2x: FailedScheduling: 0/2 nodes are available | Pod/virt-launcher-db-x1x2x: FailedScheduling: someone else');
  expect(err?.message).not.toContain('another VM');
  expect(err?.message).not.toContain('SuccessfulCreate');
});

test('a VM object of another uid than the provider created is reported, not waited for', async () => {
  seedRunning('apps', 'web');
  await expect(waitForVmReady(world.api, 'apps', 'web', { timeoutMs: 1000, uid: 'not-this-one' })).rejects.toThrow(/the component and the provider see different clusters/);
});

test('with a controller that records desiredGeneration, RestartRequired is its condition, and Ready waits until it saw the spec', async () => {
  seedRunning('apps', 'web', 2);
  // The controller has not synced generation 2 yet: no verdict on a restart, and not done waiting.
  await world.api.patch(RESOURCES.virtualMachines, 'apps', 'web', { status: { desiredGeneration: 1 } }, 'merge', { subresource: 'status' });
  expect(await vmState(world.api, 'apps', 'web')).toEqual(expect.objectContaining({ ready: true, observed: false, restartRequired: undefined }));
  await expect(waitForVmReady(world.api, 'apps', 'web', { timeoutMs: 100, pollMs: 20 })).rejects.toThrow(/did not become Ready/);
  // It has, and says the running VMI is from an older template spec.
  const restart = { type: 'RestartRequired', status: 'True', message: 'a non-live-updatable field was changed in the template spec' };
  await world.api.patch(RESOURCES.virtualMachines, 'apps', 'web', { status: { desiredGeneration: 2, conditions: [{ type: 'Ready', status: 'True' }, restart] } }, 'merge', { subresource: 'status' });
  expect(await waitForVmReady(world.api, 'apps', 'web', { timeoutMs: 1000, pollMs: 20 })).toEqual(expect.objectContaining({ observed: true, restartRequired: restart.message }));
  // A change outside the template (the generation moved, no condition): nothing to restart for.
  await world.api.patch(RESOURCES.virtualMachines, 'apps', 'web', { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, 'merge', { subresource: 'status' });
  expect((await vmState(world.api, 'apps', 'web'))?.restartRequired).toBeUndefined();
});

test('a VMI made from an older spec is restart-required when running, and replaced when it never started', async () => {
  // The VM's spec was updated (generation 2) after its VMI was made from generation 1.
  seedRunning('apps', 'web', 2);
  expect((await vmState(world.api, 'apps', 'web'))?.restartRequired).toBe('the VMI runs generation 1 of the spec, the VM is at 2');
  await world.api.patch(RESOURCES.virtualMachineInstances, 'apps', 'web', { status: { phase: 'Scheduling' } }, 'merge', { subresource: 'status' });
  await world.api.patch(RESOURCES.virtualMachines, 'apps', 'web', { status: { ready: false, conditions: [{ type: 'Ready', status: 'False' }] } }, 'merge', { subresource: 'status' });
  const s = await vmState(world.api, 'apps', 'web');
  expect(s?.staleUnstarted).toBe(true);
  const lines: string[] = [];
  await expect(waitForVmReady(world.api, 'apps', 'web', { timeoutMs: 100, pollMs: 20, replaceStaleUnstarted: true, log: (l) => lines.push(l) })).rejects.toThrow(/did not become Ready/);
  expect(lines[0]).toMatch(/its VMI web never started and was made from an older spec; starting it again/);
  expect(await vmState(world.api, 'apps', 'web')).toEqual(expect.objectContaining({ vmiName: '', staleUnstarted: false }));
});
