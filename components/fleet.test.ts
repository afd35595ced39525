// VirtualMachineFleet under Pulumi's mocks and against an in-memory cluster: the pool it emits (selector,
// rolling-update policy, surge annotation, upstream's defaults), its members' outputs once the pool has
// rolled out, args refused by their arg path, and the wait's error naming the members that are not Ready.
import { RESOURCES } from '../virt/kube/resources.js';
import { setClusterConnector } from './cluster-connection.js';
import { FleetArgsError, poolManifest, VirtualMachineFleet } from './fleet.js';
import { POOL_REVISION_LABEL, waitForFleet } from './fleet-readiness.js';
import { mockWorld, settle, valueOf, type MockWorld } from './testing/pulumi-mocks.js';

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

function seedPool(ns: string, name: string, replicas: number, status: Record<string, unknown>, generation = 1): void {
  world.api.seed(RESOURCES.pools, { apiVersion: 'pool.kubevirt.io/v1beta1', kind: 'VirtualMachinePool', metadata: { name, namespace: ns, generation, uid: `${name}-uid` }, spec: { replicas }, status } as never);
}

function seedVmi(ns: string, name: string, node: string, ip: string, ready: boolean, revision = 'r2'): void {
  world.api.seed(RESOURCES.virtualMachineInstances, {
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name, namespace: ns, labels: { [POOL_REVISION_LABEL]: revision } },
    status: { phase: 'Running', nodeName: node, interfaces: [{ ipAddress: ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  } as never);
}

test('emits a VirtualMachinePool with the rolling-update policy and reports every member once it has rolled out', async () => {
  seedPool('apps', 'web', 2, { observedGeneration: 1, replicas: 2, readyReplicas: 2, updatedReadyReplicas: 2, currentRevision: 'r2' });
  seedVmi('apps', 'web-0', 'node-1', '10.214.1.5', true);
  seedVmi('apps', 'web-1', 'node-2', '10.214.2.6', true);
  const fleet = new VirtualMachineFleet('web', { namespace: 'apps', replicas: 2, template, labels: { team: 'a' }, rollingUpdate: { maxUnavailable: '25%', maxSurge: '1' } }, { transformations: [world.capture] });
  expect(await valueOf(fleet.members)).toEqual([{ name: 'web-0', nodeName: 'node-1', ipAddress: '10.214.1.5' }, { name: 'web-1', nodeName: 'node-2', ipAddress: '10.214.2.6' }]);
  expect(await valueOf(fleet.ipAddresses)).toEqual(['10.214.1.5', '10.214.2.6']);
  expect(await valueOf(fleet.readyReplicas)).toBe(2);
  await settle();
  const child = world.one('kubernetes:pool.kubevirt.io/v1beta1:VirtualMachinePool', 'web');
  expect(child.parent).toBe('web');
  expect(child.inputs).toMatchObject({
    metadata: { name: 'web', namespace: 'apps', labels: { team: 'a' }, annotations: { 'pulumi.com/skipAwait': 'true', 'pool.virtstack.io/max-surge': '1' } },
    spec: {
      replicas: 2, maxUnavailable: '25%', updateStrategy: { proactive: {} },
      selector: { matchLabels: { 'kubevirt.io/vmpool': 'web' } },
      virtualMachineTemplate: { metadata: { labels: { team: 'a', 'kubevirt.io/vmpool': 'web' } }, spec: { runStrategy: 'Always', template: { spec: { domain: { machine: { type: 'q35' } } } } } },
    },
  });
});

test('maxUnavailable defaults to 1 and a count is sent as an integer; surge is left out unless given', () => {
  const m = poolManifest('web', { replicas: 3, template }) as { metadata: { annotations: Record<string, string> }; spec: { maxUnavailable: unknown } };
  expect(m.spec.maxUnavailable).toBe(1);
  expect(m.metadata.annotations['pool.virtstack.io/max-surge']).toBeUndefined();
  expect((poolManifest('web', { replicas: 3, template, rollingUpdate: { maxUnavailable: '2' } }) as { spec: { maxUnavailable: unknown } }).spec.maxUnavailable).toBe(2);
});

test('bad args are refused by their arg path', () => {
  const bad = { ...template, spec: { ...template.spec, domain: { ...template.spec.domain, cpu: { corse: 2 } } } };
  let err: unknown;
  try {
    poolManifest('web', { replicas: -1, template: bad, rollingUpdate: { maxUnavailable: 'half', maxSurge: 'x' } });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FleetArgsError);
  const message = (err as Error).message;
  expect(message).toMatch(/^VirtualMachineFleet web has invalid args:/);
  expect(message).toMatch(/\n {2}replicas: -1 is out of range/);
  expect(message).toMatch(/\n {2}rollingUpdate\.maxUnavailable: .*"half"/);
  expect(message).toMatch(/\n {2}rollingUpdate\.maxSurge: /);
  expect(message).toMatch(/\n {2}template\.spec\.domain\.cpu\.corse: unknown field "corse"/);
});

test('the wait holds while the controller has not seen the new generation, then ends when every member is Ready from the current template', async () => {
  // generation 2 applied, the status still from generation 1 (all Ready): not done
  seedPool('apps', 'web', 2, { observedGeneration: 1, replicas: 2, readyReplicas: 2, updatedReadyReplicas: 2, currentRevision: 'r1' }, 2);
  seedVmi('apps', 'web-0', 'node-1', '10.214.1.5', true, 'r1');
  seedVmi('apps', 'web-1', 'node-2', '10.214.2.6', false, 'r2');
  const err = await waitForFleet(world.api, 'apps', 'web', { timeoutMs: 100, pollMs: 20 }).then(() => undefined, (e: unknown) => e as Error);
  expect(err?.message).toMatch(/^VirtualMachinePool apps\/web did not roll out within 0 s \(2 of 2 Ready from the current template/);
  await world.api.patch(RESOURCES.pools, 'apps', 'web', { status: { observedGeneration: 2, replicas: 2, readyReplicas: 1, updatedReadyReplicas: 1, currentRevision: 'r2' } }, 'merge', { subresource: 'status' });
  const err2 = await waitForFleet(world.api, 'apps', 'web', { timeoutMs: 100, pollMs: 20 }).then(() => undefined, (e: unknown) => e as Error);
  expect(err2?.message).toContain('1 of 2 Ready from the current template');
  expect(err2?.message).toContain('member web-0 (Ready, but from an older template)');
  expect(err2?.message).toContain('member web-1:');
  await world.api.patch(RESOURCES.pools, 'apps', 'web', { status: { updatedReadyReplicas: 2, readyReplicas: 2 } }, 'merge', { subresource: 'status' });
  expect((await waitForFleet(world.api, 'apps', 'web', { timeoutMs: 1000, pollMs: 20 })).rolledOut).toBe(true);
});

test('a pool of another uid than the provider created is reported, not waited for', async () => {
  seedPool('apps', 'web', 1, { observedGeneration: 1, replicas: 1, updatedReadyReplicas: 1 });
  await expect(waitForFleet(world.api, 'apps', 'web', { timeoutMs: 1000, uid: 'other' })).rejects.toThrow(/pass the provider's kubeconfig/);
});
