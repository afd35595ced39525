// DataVolume under Pulumi's mocks and against an in-memory cluster: the manifest it emits (CDI's fields,
// bind-immediately, no provider await, replaced on a spec change), args refused by their arg path, and the
// wait: progress logged as it changes, Failed at once with the importer's message, a retrying import failed
// at the timeout with its last error and the Warning events, WaitForFirstConsumer accepted only when asked.
import type * as pulumi from '@pulumi/pulumi';
import { RESOURCES } from '../virt/kube/resources.js';
import { setClusterConnector } from './cluster-connection.js';
import { BIND_IMMEDIATE_ANNOTATION, DataVolume, DataVolumeArgsError, dvManifest } from './data-volume.js';
import { causeOf, dvState, waitForDvSucceeded } from './data-volume-readiness.js';
import { mockWorld, settle, valueOf, type MockWorld } from './testing/pulumi-mocks.js';
import { vmManifest } from './virtual-machine.js';

let world: MockWorld;
beforeEach(() => {
  world = mockWorld();
});
afterEach(() => {
  setClusterConnector(undefined);
});

const source = { http: { url: 'http://images.example/guest.qcow2' } };
const storage = { resources: { requests: { storage: '64Mi' } } };

function seedDv(ns: string, name: string, status: Record<string, unknown>): void {
  world.api.seed(RESOURCES.dataVolumes, { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name, namespace: ns, uid: `${name}-uid` }, status } as never);
}

const setStatus = (ns: string, name: string, status: Record<string, unknown>) => world.api.patch(RESOURCES.dataVolumes, ns, name, { status }, 'merge', { subresource: 'status' });

test('emits a cdi.kubevirt.io/v1beta1 DataVolume bound at once, replaced (old one first) on a spec change, and reports it as the cluster has it', async () => {
  seedDv('apps', 'root', { phase: 'Succeeded', progress: '100.0%', claimName: 'root', restartCount: 1 });
  const opts: pulumi.ResourceTransformationArgs['opts'][] = [];
  const dv = new DataVolume('root', { namespace: 'apps', source, storage, labels: { team: 'a' } }, {
    transformations: [world.capture, (a) => {
      if (a.type.endsWith(':DataVolume') && a.type.startsWith('kubernetes:')) opts.push(a.opts);
      return undefined;
    }],
  });
  expect(await valueOf(dv.phase)).toBe('Succeeded');
  expect(await valueOf(dv.progress)).toBe('100.0%');
  expect(await valueOf(dv.claimName)).toBe('root');
  expect(await valueOf(dv.restartCount)).toBe(1);
  expect(await valueOf(dv.namespace)).toBe('apps');
  await settle();
  const child = world.one('kubernetes:cdi.kubevirt.io/v1beta1:DataVolume', 'root');
  expect(child.parent).toBe('root');
  expect(child.inputs).toEqual({
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: { name: 'root', namespace: 'apps', labels: { team: 'a' }, annotations: { [BIND_IMMEDIATE_ANNOTATION]: 'true', 'pulumi.com/skipAwait': 'true' } },
    spec: { source, storage },
  });
  expect(opts).toHaveLength(1);
  expect(opts[0]).toEqual(expect.objectContaining({ replaceOnChanges: ['spec'], deleteBeforeReplace: true }));
});

test('bindImmediately false leaves a late-binding claim to its first consumer', () => {
  const m = dvManifest('root', { source: { blank: {} }, storage }, false);
  expect(m.metadata).toEqual({ name: 'root', annotations: { 'pulumi.com/skipAwait': 'true' } });
});

test('misspelt, unsupported or missing args are refused by their arg path', () => {
  let err: unknown;
  try {
    dvManifest('root', { source: { http: { uri: 'http://x/y' } }, storage: { resources: { requests: {} } }, contentType: 'iso' });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DataVolumeArgsError);
  const message = (err as Error).message;
  expect(message).toMatch(/^DataVolume root has invalid args:/);
  expect(message).toMatch(/\n {2}source\.http\.uri: unknown field "uri"/);
  expect(message).toMatch(/\n {2}contentType: .*"iso"/);
  expect(message).not.toMatch(/\bspec\./);
});

test('the wait logs each new phase and progress, and returns at Succeeded', async () => {
  seedDv('apps', 'root', { phase: 'ImportScheduled' });
  const lines: string[] = [];
  const steps = [{ phase: 'ImportInProgress', progress: '12.50%' }, { phase: 'ImportInProgress', progress: '12.50%' }, { phase: 'ImportInProgress', progress: '61.00%' }, { phase: 'Succeeded', progress: '100.0%', claimName: 'root' }];
  const done = waitForDvSucceeded(world.api, 'apps', 'root', { timeoutMs: 10_000, pollMs: 10, log: (l) => lines.push(l), uid: 'root-uid' });
  for (const s of steps) {
    await new Promise((r) => setTimeout(r, 25));
    await setStatus('apps', 'root', s);
  }
  const s = await done;
  expect(s.phase).toBe('Succeeded');
  expect(lines).toEqual(['DataVolume apps/root: ImportScheduled', 'DataVolume apps/root: ImportInProgress 12.50%', 'DataVolume apps/root: ImportInProgress 61.00%', 'DataVolume apps/root: Succeeded 100.0%']);
});

test('Failed ends the wait at once with the importer\'s message', async () => {
  const msg = 'the disk image\'s virtual size is 33 MiB (34603008 bytes), larger than the 16 MiB (16777216 bytes) the claim of 17 MiB (17825792 bytes) can hold';
  seedDv('apps', 'small', { phase: 'Failed', conditions: [{ type: 'Bound', status: 'True', reason: 'Bound' }, { type: 'Running', status: 'False', reason: 'Error', message: msg }] });
  const started = Date.now();
  const err = await waitForDvSucceeded(world.api, 'apps', 'small', { timeoutMs: 60_000, pollMs: 10 }).then(() => undefined, (e: unknown) => e as Error);
  expect(Date.now() - started).toBeLessThan(30_000);
  expect(err?.message).toMatch(/^DataVolume apps\/small failed: the disk image's virtual size is 33 MiB/);
  expect(err?.message).toContain('conditions: Bound=True Bound; Running=False Error: the disk');
});

test('a retrying import fails at the timeout with its last error, restart count and Warning events', async () => {
  seedDv('apps', 'web', { phase: 'ImportInProgress', restartCount: 2, conditions: [{ type: 'Running', status: 'False', reason: 'Error', message: 'HTTP 404 Not Found from http://images.example/nope.qcow2' }] });
  world.api.seed(RESOURCES.events, { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1', namespace: 'apps' }, involvedObject: { kind: 'Pod', name: 'importer-web' }, type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container', lastTimestamp: '2026-12-01T10:00:02Z' } as never);
  world.api.seed(RESOURCES.events, { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e2', namespace: 'apps' }, involvedObject: { kind: 'Pod', name: 'importer-webx' }, type: 'Warning', reason: 'BackOff', message: 'another one', lastTimestamp: '2026-12-01T10:00:03Z' } as never);
  const lines: string[] = [];
  const err = await waitForDvSucceeded(world.api, 'apps', 'web', { timeoutMs: 100, pollMs: 20, log: (l) => lines.push(l) }).then(() => undefined, (e: unknown) => e as Error);
  expect(lines[0]).toBe('DataVolume apps/web: ImportInProgress, 2 restarts (HTTP 404 Not Found from http://images.example/nope.qcow2)');
  expect(err?.message).toMatch(/^DataVolume apps\/web did not succeed within 0 s \(phase ImportInProgress\): HTTP 404 Not Found from http:\/\/images\.example\/nope\.qcow2\./);
  expect(err?.message).toContain('restartCount: 2');
  expect(err?.message).toContain('Warning events: Pod/importer-web: BackOff: Back-off restarting failed container');
  expect(err?.message).not.toContain('another one');
});

test('the last error seen is kept while the next attempt runs', async () => {
  seedDv('apps', 'tls', { phase: 'ImportInProgress', restartCount: 1, conditions: [{ type: 'Running', status: 'False', reason: 'Error', message: 'TLS: the certificate of 10.0.0.1 is not trusted' }] });
  const done = waitForDvSucceeded(world.api, 'apps', 'tls', { timeoutMs: 150, pollMs: 10 }).then(() => undefined, (e: unknown) => e as Error);
  await new Promise((r) => setTimeout(r, 40));
  await setStatus('apps', 'tls', { conditions: [{ type: 'Running', status: 'True', reason: 'Pod is running' }] });
  expect((await done)?.message).toMatch(/\(phase ImportInProgress\): TLS: the certificate of 10\.0\.0\.1 is not trusted\./);
});

test('WaitForFirstConsumer ends the wait only when the component leaves binding to a consumer', async () => {
  seedDv('apps', 'late', { phase: 'WaitForFirstConsumer' });
  expect((await waitForDvSucceeded(world.api, 'apps', 'late', { timeoutMs: 1000, pollMs: 10, acceptWaitForFirstConsumer: true })).phase).toBe('WaitForFirstConsumer');
  await expect(waitForDvSucceeded(world.api, 'apps', 'late', { timeoutMs: 50, pollMs: 10 })).rejects.toThrow(/did not succeed within 0 s \(phase WaitForFirstConsumer\)/);
});

test('another uid than the provider created is reported, not waited for; a missing DataVolume has no state', async () => {
  seedDv('apps', 'root', { phase: 'Succeeded' });
  await expect(waitForDvSucceeded(world.api, 'apps', 'root', { timeoutMs: 1000, uid: 'other' })).rejects.toThrow(/the component and the provider see different clusters/);
  expect(await dvState(world.api, 'apps', 'nope')).toBeUndefined();
  expect(causeOf(undefined)).toBeUndefined();
});

test('the VirtualMachine component takes dataVolumeTemplates with the same typed spec, checked by their arg path', () => {
  const template = {
    spec: {
      domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] } },
      volumes: [{ name: 'root', dataVolume: { name: 'root' } }],
    },
  };
  const dataVolumeTemplates = [{ metadata: { name: 'root' }, spec: { source, storage } }];
  expect(vmManifest('web', { template, dataVolumeTemplates }).spec.dataVolumeTemplates).toEqual(dataVolumeTemplates);
  const refusal = (spec: Record<string, unknown>): string => {
    try {
      vmManifest('web', { template, dataVolumeTemplates: [{ metadata: { name: 'root' }, spec }] });
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };
  expect(refusal({ source: { http: { uri: 'http://x' } }, storage })).toMatch(/\n {2}dataVolumeTemplates\[0\]\.spec\.source\.http\.uri: unknown field "uri"/);
  expect(refusal({ source, storage: { ...storage, volumeMode: 'Block' } })).toMatch(/\n {2}dataVolumeTemplates\[0\]\.spec\.storage\.volumeMode: "Block" is supported by upstream CDI, not by virtstack/);
});
