import type { VirtualMachineInstance, VirtualMachineInstanceStatus } from '../api/index.js';
import type { Pod } from '../kube/core-types.js';
import { jsonLogger } from '../logger/logger.js';
import type { DomainInfo } from '../protocol/messages.js';
import { VmiSync, launcherPodFor, vmiKeyOfPod, type LauncherCaller, type VmiSyncDeps } from './vmi-sync.js';

const quiet = jsonLogger({}, { write: () => undefined });

function vmi(status: VirtualMachineInstanceStatus = { phase: 'Scheduled', nodeName: 'node-1' }): VirtualMachineInstance {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'vm1', namespace: 'ns', uid: 'u1', resourceVersion: '5' },
    spec: { domain: { devices: { interfaces: [{ name: 'default', masquerade: {} }] } }, networks: [{ name: 'default', pod: {} }] },
    status,
  } as VirtualMachineInstance;
}

function pod(compute: NonNullable<Pod['status']>['containerStatuses'], extra: Partial<Pod['metadata']> = {}): Pod {
  return {
    metadata: { name: 'virt-launcher-vm1-abcde', namespace: 'ns', uid: 'p1', labels: { 'kubevirt.io/domain': 'vm1' }, ...extra },
    status: { phase: 'Running', podIP: '10.214.1.7', podIPs: [{ ip: '10.214.1.7' }], containerStatuses: compute },
  };
}

const running = [{ name: 'compute', ready: true, restartCount: 0, state: { running: { startedAt: 'x' } } }];
const domain: DomainInfo = { name: 'ns_vm1', uuid: 'u1', state: 'Running', reason: 'Booted', accelerator: 'tcg', acceleratorReason: 'KVM unusable' };

function harness(v: VirtualMachineInstance | undefined, pods: Pod[], answer: DomainInfo | null = domain) {
  const writes: VirtualMachineInstanceStatus[] = [];
  const calls: { method: string; params: unknown }[] = [];
  const events: string[] = [];
  const dropped: string[] = [];
  const prepared: string[] = [];
  const launcher: LauncherCaller = {
    call: (async (method: string, params: unknown) => {
      calls.push({ method, params });
      return answer;
    }) as LauncherCaller['call'],
  };
  const deps: VmiSyncDeps = {
    nodeName: 'node-1',
    getVmi: () => v,
    podsOf: () => pods,
    launchers: { get: async () => launcher, drop: (uid) => void dropped.push(uid) },
    network: { prepare: async (p) => void prepared.push(p.metadata.uid ?? '') },
    accelerator: () => ({ accelerator: 'tcg', reason: 'KVM unusable' }),
    status: { write: async (_c, s) => void writes.push(s) },
    event: (_v, type, reason) => void events.push(`${type}/${reason}`),
    log: quiet,
    now: () => new Date('2026-12-01T00:00:00Z'),
  };
  return { sync: new VmiSync(deps), deps, writes, calls, events, dropped, prepared };
}

describe('VmiSync', () => {
  test('a scheduled VMI whose launcher runs the domain becomes Running with the pod IP', async () => {
    const h = harness(vmi(), [pod(running)]);
    const r = await h.sync.sync('ns/vm1');
    expect(h.calls.map((c) => c.method)).toEqual(['sync']);
    expect(h.calls[0]!.params).toMatchObject({ vmi: { metadata: { uid: 'u1' } }, options: { accelerator: 'tcg' } });
    expect(h.writes).toHaveLength(1);
    expect(h.writes[0]).toMatchObject({
      phase: 'Running',
      nodeName: 'node-1',
      accelerator: 'tcg',
      interfaces: [{ name: 'default', ipAddress: '10.214.1.7', ipAddresses: ['10.214.1.7'], infoSource: 'domain' }],
      phaseTransitionTimestamps: [{ phase: 'Running', phaseTransitionTimestamp: '2026-12-01T00:00:00.000Z' }],
    });
    expect(h.events).toEqual(['Normal/Started']);
    expect(r).toEqual({ requeueAfterMs: 15_000 });
  });

  test('an already Running VMI gets no second Started event and no new transition', async () => {
    const h = harness(vmi({ phase: 'Running', nodeName: 'node-1', phaseTransitionTimestamps: [{ phase: 'Running', phaseTransitionTimestamp: 't0' }] }), [pod(running)]);
    await h.sync.sync('ns/vm1');
    expect(h.events).toEqual([]);
    expect(h.writes[0]!.phaseTransitionTimestamps).toEqual([{ phase: 'Running', phaseTransitionTimestamp: 't0' }]);
  });

  test('a domain paused by the user shows as the Paused condition, and goes when it runs again', async () => {
    const h = harness(vmi({ phase: 'Running', nodeName: 'node-1' }), [pod(running)], { ...domain, state: 'Paused', reason: 'User' });
    expect(await h.sync.sync('ns/vm1')).toEqual({ requeueAfterMs: 15_000 });
    expect(h.writes[0]!.phase).toBe('Running');
    expect(h.writes[0]!.conditions).toEqual([expect.objectContaining({ type: 'Paused', status: 'True', reason: 'PausedByUser' })]);
    const again = harness(vmi({ phase: 'Running', nodeName: 'node-1', conditions: h.writes[0]!.conditions! }), [pod(running)]);
    await again.sync.sync('ns/vm1');
    expect(again.writes[0]!.conditions).toEqual([]);
  });

  test('the pod network is prepared until the launcher runs the domain, not on each resync after', async () => {
    const p = pod(running);
    const waiting = harness(vmi(), [p], null);
    await waiting.sync.sync('ns/vm1');
    await waiting.sync.sync('ns/vm1');
    expect(waiting.prepared).toEqual(['p1', 'p1']);

    const h = harness(vmi(), [p]);
    await h.sync.sync('ns/vm1');
    await h.sync.sync('ns/vm1');
    expect(h.prepared).toEqual(['p1']);
    expect(h.calls.map((c) => c.method)).toEqual(['sync', 'sync']);
    expect(h.calls[0]!.params).toMatchObject({ options: { accelerator: 'tcg' } });
    // A handler restarted (a new VmiSync) checks the namespace once again; a pod gone and back is new.
    const restarted = new VmiSync(h.deps);
    await restarted.sync('ns/vm1');
    expect(h.prepared).toEqual(['p1', 'p1']);
    h.sync.forgetPod('p1');
    await h.sync.sync('ns/vm1');
    expect(h.prepared).toEqual(['p1', 'p1', 'p1']);
  });

  test('a VMI on another node is not touched', async () => {
    const h = harness(vmi({ phase: 'Scheduled', nodeName: 'node-2' }), [pod(running)]);
    await h.sync.sync('ns/vm1');
    expect(h.calls).toEqual([]);
    expect(h.writes).toEqual([]);
  });

  test('the launcher exiting 0 means Succeeded; non-zero means Failed with the code as reason', async () => {
    const ok = harness(vmi({ phase: 'Running', nodeName: 'node-1' }), [pod([{ name: 'compute', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } }])]);
    await ok.sync.sync('ns/vm1');
    expect(ok.writes[0]).toMatchObject({ phase: 'Succeeded' });
    expect(ok.writes[0]!.reason).toBeUndefined();
    expect(ok.dropped).toEqual(['p1']);
    const bad = harness(vmi({ phase: 'Running', nodeName: 'node-1' }), [pod([{ name: 'compute', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }])]);
    await bad.sync.sync('ns/vm1');
    expect(bad.writes[0]).toMatchObject({ phase: 'Failed', reason: 'launcher exited with code 1 (Error)' });
    expect(bad.events).toEqual(['Warning/Stopped']);
  });

  test('a source launcher that exited 0 after its domain migrated away does not make the VMI Succeeded', async () => {
    const exited = [{ name: 'compute', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } }];
    const migrating = { migrationUid: 'm1', sourceNode: 'node-1', targetNode: 'node-2', startTimestamp: '2026-12-01T00:00:00Z' };
    const h = harness(vmi({ phase: 'Running', nodeName: 'node-1', migrationState: migrating }), [pod(exited)]);
    await h.sync.sync('ns/vm1');
    expect(h.writes).toEqual([]);
    // A failed migration leaves the VM here: its launcher exiting 0 is a shutdown as ever.
    const failed = harness(vmi({ phase: 'Running', nodeName: 'node-1', migrationState: { ...migrating, completed: true, failed: true } }), [pod(exited)]);
    await failed.sync.sync('ns/vm1');
    expect(failed.writes[0]).toMatchObject({ phase: 'Succeeded' });
  });

  test('a final VMI is left alone', async () => {
    const h = harness(vmi({ phase: 'Failed', nodeName: 'node-1' }), [pod(running)]);
    await h.sync.sync('ns/vm1');
    expect(h.calls).toEqual([]);
    expect(h.writes).toEqual([]);
  });

  test('a domain not running yet is asked again soon without writing status', async () => {
    const h = harness(vmi(), [pod(running)], { ...domain, state: 'Shutoff', reason: 'Unknown' });
    expect(await h.sync.sync('ns/vm1')).toEqual({ requeueAfterMs: 500 });
    expect(h.writes).toEqual([]);
  });

  test('a pod that is not running yet waits for its events', async () => {
    const p = pod([{ name: 'compute', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }]);
    const h = harness(vmi(), [p]);
    expect(await h.sync.sync('ns/vm1')).toBeUndefined();
    expect(h.calls).toEqual([]);
  });

  test('a deleting VMI is not synced (the pod deletion stops the guest gracefully)', async () => {
    const v = vmi();
    v.metadata.deletionTimestamp = '2026-12-01T00:00:00Z';
    const h = harness(v, [pod(running)]);
    await h.sync.sync('ns/vm1');
    expect(h.calls).toEqual([]);
  });

  test('launcherPodFor prefers a pod that is not being deleted', () => {
    const old = pod(running, { uid: 'old', deletionTimestamp: 'x' });
    const cur = pod(running, { uid: 'cur' });
    expect(launcherPodFor([old, cur])?.metadata.uid).toBe('cur');
    expect(launcherPodFor([old])?.metadata.uid).toBe('old');
    expect(launcherPodFor([])).toBeUndefined();
  });

  test('a launcher pod belongs to the VMI that controls it, whatever its labels say', () => {
    const p = pod(running, { labels: { 'kubevirt.io/domain': 'something-else' }, ownerReferences: [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', name: 'vm1', uid: 'u1', controller: true }] });
    expect(vmiKeyOfPod(p)).toBe('ns/vm1');
    expect(vmiKeyOfPod(pod(running, { labels: {}, annotations: { 'kubevirt.io/domain': 'vm2' } }))).toBe('ns/vm2');
    expect(vmiKeyOfPod(pod(running, { labels: {} }))).toBeUndefined();
  });

  test('a VMI without interfaces or networks reports upstream\'s default pod interface with the pod IP', async () => {
    const v = vmi();
    v.spec = { domain: { devices: {} } } as VirtualMachineInstance['spec'];
    const h = harness(v, [pod(running)]);
    await h.sync.sync('ns/vm1');
    expect(h.writes[0]!.interfaces).toEqual([{ name: 'default', ipAddress: '10.214.1.7', ipAddresses: ['10.214.1.7'], infoSource: 'domain' }]);
  });
});
