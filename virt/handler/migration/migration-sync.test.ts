// MigrationSync's decisions from migrationState, with a fake launcher and status writer (the real relay
// listens on localhost and in a temporary kubelet folder). The cluster tests run the same code between the
// two nodes' handlers (test/cluster/migration-transport.test.ts).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MigrationState, VirtualMachineInstance, VirtualMachineInstanceStatus } from '../../api/index.js';
import { issueCa, issueLeaf } from '../../certs/pki.js';
import type { Pod } from '../../kube/core-types.js';
import { jsonLogger } from '../../logger/logger.js';
import type { DomainInfo } from '../../protocol/messages.js';
import type { LauncherCaller } from '../vmi-sync.js';
import { MigrationSync, migrateOptions, type MigrationSyncDeps } from './migration-sync.js';

const DAY = 86_400_000;
const ca = issueCa('virtstack-ca', DAY);
const leaf = issueLeaf(ca, { commonName: 'virt-handler', usages: ['serverAuth', 'clientAuth'] }, DAY);
const tls = { cert: leaf.cert, key: leaf.key, ca: ca.cert };
const quiet = jsonLogger({}, { write: () => undefined });
const NOW = '2026-12-01T00:00:00.000Z';

let kubelet: string;
beforeAll(() => {
  kubelet = mkdtempSync(join(tmpdir(), 'vs-migsync-'));
  for (const uid of ['src-pod', 'dst-pod']) mkdirSync(join(kubelet, 'pods', uid, 'volumes', 'kubernetes.io~empty-dir', 'sockets'), { recursive: true });
});
afterAll(() => rmSync(kubelet, { recursive: true, force: true }));

function vmi(ms: MigrationState, status: VirtualMachineInstanceStatus = {}): VirtualMachineInstance {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'vm1', namespace: 'ns', uid: 'u1', resourceVersion: '5', labels: { 'kubevirt.io/nodeName': 'node-1' } },
    spec: { domain: { devices: {} }, volumes: [{ name: 'root', containerDisk: { image: 'guest' } }] },
    status: { phase: 'Running', nodeName: 'node-1', migrationState: ms, ...status },
  } as VirtualMachineInstance;
}

function pod(uid: string, name: string, labels: Record<string, string> = {}): Pod {
  return {
    metadata: { name, namespace: 'ns', uid, labels },
    status: { phase: 'Running', podIP: uid === 'dst-pod' ? '10.0.2.9' : '10.0.1.9', containerStatuses: [{ name: 'compute', ready: true, restartCount: 0, state: { running: { startedAt: 'x' } } }] },
  };
}

const running: DomainInfo = { name: 'ns_vm1', uuid: 'u1', state: 'Running', reason: 'Migrated', accelerator: 'tcg', acceleratorReason: '' };

function harness(node: string, pods: Pod[], answers: Partial<Record<string, (params: unknown) => Promise<unknown>>> = {}) {
  let current: VirtualMachineInstance | undefined;
  let hidden = false;
  const writes: VirtualMachineInstanceStatus[] = [];
  const calls: { method: string; params: unknown }[] = [];
  const labelled: string[] = [];
  const enqueued: string[] = [];
  const launcher: LauncherCaller = {
    call: (async (method: string, params: unknown) => {
      calls.push({ method, params });
      const a = answers[method];
      return a ? a(params) : null;
    }) as LauncherCaller['call'],
  };
  const deps: MigrationSyncDeps = {
    nodeName: node,
    kubeletRootDir: kubelet,
    getVmi: () => (hidden ? undefined : current),
    podsOf: () => pods,
    launchers: { get: async () => launcher, drop: () => undefined },
    network: { prepare: async () => undefined },
    accelerator: () => ({ accelerator: 'tcg', reason: 'test' }),
    tls: () => tls,
    address: () => '127.0.0.1',
    status: {
      write: async (_c, s) => {
        writes.push(s);
        current = { ...current!, status: s };
      },
    },
    labelNode: async (_v, n) => void labelled.push(n),
    enqueue: (k) => void enqueued.push(k),
    fetch: async () => current,
    event: () => undefined,
    log: quiet,
    now: () => new Date(NOW),
    listenHost: '127.0.0.1',
  };
  const sync = new MigrationSync(deps);
  return { sync, set: (v: VirtualMachineInstance) => (current = v), get: () => current!, hide: () => (hidden = true), writes, calls, labelled, enqueued };
}

const base: MigrationState = { migrationUid: 'm1', sourceNode: 'node-1', targetNode: 'node-2', sourcePod: 'virt-launcher-vm1-src', targetPod: 'virt-launcher-vm1-dst', mode: 'PreCopy' };

test('target: prepares the target launcher in target mode, opens the relay, publishes address and ports; takes the VMI over once the domain runs', async () => {
  let arrived = false;
  const h = harness('node-2', [pod('dst-pod', 'virt-launcher-vm1-dst', { 'kubevirt.io/migrationJobUID': 'm1' })], { getDomain: async () => (arrived ? running : null) });
  h.set(vmi(base));
  await h.sync.sync('ns/vm1');
  expect(h.calls[0]).toMatchObject({ method: 'sync', params: { options: { migrationTarget: true, accelerator: 'tcg' } } });
  const ms = h.get().status!.migrationState!;
  expect(ms.targetNodeAddress).toBe('127.0.0.1');
  // A containerDisk VM migrates by block: libvirt, memory and NBD streams.
  expect(Object.values(ms.targetDirectMigrationNodePorts!).sort()).toEqual([0, 49152, 49153]);
  expect(h.get().status!.nodeName).toBe('node-1');

  // Again: same ports, no new write; the domain has not arrived.
  const writes = h.writes.length;
  await h.sync.sync('ns/vm1');
  expect(h.writes).toHaveLength(writes);
  // A late cache that does not show the published address yet: no second write from it.
  const published = h.get();
  h.set(vmi(base));
  await h.sync.sync('ns/vm1');
  expect(h.writes).toHaveLength(writes);
  h.set(published);

  arrived = true;
  await h.sync.sync('ns/vm1');
  const st = h.get().status!;
  expect(st.nodeName).toBe('node-2');
  expect(st.migrationState).toMatchObject({ targetNodeDomainDetected: true, targetNodeDomainReadyTimestamp: NOW });
  expect(st.interfaces?.[0]?.ipAddress).toBe('10.0.2.9');
  await h.sync.sync('ns/vm1');
  expect(h.labelled).toEqual(['node-2']);
  await h.sync.close();
});

test('source: claims the start, then migrates over the pod\'s unix sockets and writes the end', async () => {
  let finish!: () => void;
  const h = harness('node-1', [pod('src-pod', 'virt-launcher-vm1-src')], {
    getDomain: async () => running,
    migrate: () => new Promise((r) => (finish = () => r({ totalMs: 1200, downtimeMs: 40 }))),
  });
  h.set(vmi({ ...base, targetNodeAddress: '127.0.0.1', targetDirectMigrationNodePorts: { '40001': 0, '40002': 49152, '40003': 49153 } }));
  await h.sync.sync('ns/vm1');
  expect(h.get().status!.migrationState!.startTimestamp).toBe(NOW);
  expect(h.calls.filter((c) => c.method === 'migrate')).toHaveLength(0);

  await h.sync.sync('ns/vm1');
  const m = h.calls.find((c) => c.method === 'migrate')!;
  expect(m.params).toEqual({
    target: {
      uri: 'qemu+unix:///session?socket=/var/run/kubevirt/sockets/migration-libvirt.sock',
      migrationUri: 'unix:///var/run/kubevirt/sockets/migration-49152.sock',
      disksUri: 'unix:///var/run/kubevirt/sockets/migration-49153.sock',
    },
    options: { nonSharedDisk: true, incremental: true },
  });
  // While it runs, another sync starts nothing new.
  await h.sync.sync('ns/vm1');
  expect(h.calls.filter((c) => c.method === 'migrate')).toHaveLength(1);
  // The target took the VMI over first: its label moved, this node's caches lost it. The end is written
  // on the API server's copy all the same.
  h.set({ ...h.get(), status: { ...h.get().status, nodeName: 'node-2' } });
  h.hide();
  finish();
  await new Promise((r) => setTimeout(r, 20));
  expect(h.enqueued).toEqual(['ns/vm1']);
  expect(h.get().status!.migrationState).toMatchObject({ completed: true, failed: false, endTimestamp: NOW });
  await h.sync.close();
});

test('source: an abort before the start ends the migration; one during the transfer cancels the libvirt job', async () => {
  const early = harness('node-1', [pod('src-pod', 'virt-launcher-vm1-src')]);
  early.set(vmi({ ...base, abortRequested: true }));
  await early.sync.sync('ns/vm1');
  expect(early.get().status!.migrationState).toMatchObject({ completed: true, failed: true, abortStatus: 'Succeeded' });

  let reject!: (e: Error) => void;
  const h = harness('node-1', [pod('src-pod', 'virt-launcher-vm1-src')], {
    getDomain: async () => running,
    migrate: () => new Promise((_r, rej) => (reject = rej)),
    cancelMigration: async () => {
      reject(Object.assign(new Error('operation aborted'), { code: 'MigrationCancelled' }));
      return { cancelled: true };
    },
  });
  h.set(vmi({ ...base, targetNodeAddress: '127.0.0.1', targetDirectMigrationNodePorts: { '40002': 49152 }, startTimestamp: NOW }));
  await h.sync.sync('ns/vm1');
  expect(h.calls.map((c) => c.method)).toEqual(['getDomain', 'migrate']);
  h.set({ ...h.get(), status: { ...h.get().status, migrationState: { ...h.get().status!.migrationState, abortRequested: true } } });
  await h.sync.sync('ns/vm1');
  expect(h.calls.map((c) => c.method)).toContain('cancelMigration');
  await new Promise((r) => setTimeout(r, 20));
  await h.sync.sync('ns/vm1');
  expect(h.get().status!.migrationState).toMatchObject({ completed: true, failed: true, abortStatus: 'Succeeded', failureReason: 'operation aborted' });
  await h.sync.close();
});

test('source: after a handler restart, a migration the launcher reports finished is written from its state', async () => {
  const h = harness('node-1', [pod('src-pod', 'virt-launcher-vm1-src')], {
    getDomain: async () => ({ ...running, migration: { phase: 'Failed', targetUri: 'x', startedAt: NOW, endedAt: NOW, error: 'connection reset' } }),
  });
  h.set(vmi({ ...base, targetNodeAddress: '127.0.0.1', targetDirectMigrationNodePorts: { '40002': 49152 }, startTimestamp: NOW }));
  await h.sync.sync('ns/vm1');
  expect(h.calls.map((c) => c.method)).toEqual(['getDomain']);
  expect(h.get().status!.migrationState).toMatchObject({ completed: true, failed: true, failureReason: 'connection reset' });
});

test('the cluster\'s bandwidth and auto-converge settings reach libvirt; PVC-only VMs migrate without a block copy, their shared claims vouched for', () => {
  const v = vmi({ ...base, migrationConfiguration: { bandwidthPerMigration: '64Mi', allowAutoConverge: true } });
  expect(migrateOptions(v)).toEqual({ nonSharedDisk: true, incremental: true, bandwidthMiBps: 64, autoConverge: true });
  const shared = { ...v, spec: { ...v.spec, volumes: [{ name: 'root', persistentVolumeClaim: { claimName: 'c' } }] } } as VirtualMachineInstance;
  expect(migrateOptions(shared)).toEqual({ allowUnsafe: true, bandwidthMiBps: 64, autoConverge: true });
});
