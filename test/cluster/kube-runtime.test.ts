// virt/kube against a real API server: the HTTPS client's CRUD and patch types, an informer following
// real watch events, a stale status write refused with 409, Events accepted by the server's validation,
// and leader election between two electors on a real Lease.
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, tempNamespace } from './testing.js';
import { kubeconfigPath } from './paths.js';
import {
  EventRecorder,
  HttpKubeApi,
  Informer,
  isConflict,
  isNotFound,
  LeaderElector,
  loadKubeConfig,
  RESOURCES,
  writeStatus,
  type CoreEvent,
  type KubeObject,
  type Lease,
} from '../../virt/kube/index.js';
import { captureLogger, pollUntil } from '../../virt/kube/testing/index.js';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

interface Pod extends KubeObject {
  spec: { schedulerName?: string; containers: { name: string; image: string }[] };
  status?: { phase?: string; message?: string; reason?: string };
}

const CM = RESOURCES.configMaps;
let api: HttpKubeApi;
let ns: { name: string; remove: () => Promise<void> };

beforeAll(async () => {
  await ensureCluster();
  api = new HttpKubeApi(loadKubeConfig({ kubeconfig: kubeconfigPath() }), { userAgent: 'virtstack-kube-runtime-test' });
  ns = await tempNamespace('kube-runtime');
}, CLUSTER_SETUP_TIMEOUT_MS);

afterAll(async () => {
  await ns?.remove();
  api?.close();
});

describe('HttpKubeApi on the local cluster', () => {
  it('creates, reads, lists, updates, patches and deletes ConfigMaps with the server semantics', async () => {
    const created = await api.create<ConfigMap>(CM, { metadata: { generateName: 'crud-', namespace: ns.name, labels: { suite: 'crud' } }, data: { a: '1' } });
    const name = created.metadata.name!;
    expect(name).toMatch(/^crud-[a-z0-9]{5}$/);
    expect(created.metadata.uid).toBeDefined();

    const got = await api.get<ConfigMap>(CM, ns.name, name);
    expect(got).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } });

    const listed = await api.list<ConfigMap>(CM, { namespace: ns.name, labelSelector: 'suite=crud' });
    expect(listed.items.map((o) => o.metadata.name)).toEqual([name]);
    expect(listed.items[0]).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
    expect(Number(listed.resourceVersion)).toBeGreaterThan(0);
    expect((await api.list(CM, { namespace: ns.name, fieldSelector: `metadata.name=${name}` })).items).toHaveLength(1);

    const updated = await api.update<ConfigMap>(CM, { ...got, data: { a: '2' } });
    expect(updated.data).toEqual({ a: '2' });
    const stale = await api.update<ConfigMap>(CM, { ...got, data: { a: 'stale' } }).catch((e: unknown) => e);
    expect(isConflict(stale)).toBe(true);
    expect(stale).toMatchObject({ code: 409, reason: 'Conflict', request: { method: 'PUT' } });

    const merged = await api.patch<ConfigMap>(CM, ns.name, name, { data: { b: '3' } }, 'merge');
    expect(merged.data).toEqual({ a: '2', b: '3' });
    const jsonPatched = await api.patch<ConfigMap>(CM, ns.name, name, [{ op: 'test', path: '/data/b', value: '3' }, { op: 'remove', path: '/data/b' }], 'json');
    expect(jsonPatched.data).toEqual({ a: '2' });
    const strategic = await api.patch<ConfigMap>(CM, ns.name, name, { metadata: { labels: { extra: 'yes' } } }, 'strategic');
    expect(strategic.metadata.labels).toEqual({ suite: 'crud', extra: 'yes' });
    const applied = await api.patch<ConfigMap>(CM, ns.name, 'applied', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { x: 'y' } }, 'apply', {
      fieldManager: 'virtstack-test',
    });
    expect(applied.data).toEqual({ x: 'y' });

    await expect(api.delete(CM, ns.name, name, { preconditions: { uid: 'not-the-uid' } })).rejects.toMatchObject({ code: 409 });
    await api.delete(CM, ns.name, name, { preconditions: { uid: created.metadata.uid! } });
    const gone = await api.get(CM, ns.name, name).catch((e: unknown) => e);
    expect(isNotFound(gone)).toBe(true);
    expect(gone).toMatchObject({ reason: 'NotFound', message: `configmaps "${name}" not found` });
    await expect(api.create(CM, { metadata: { name: 'applied', namespace: ns.name } })).rejects.toMatchObject({ code: 409, reason: 'AlreadyExists' });
  });
});

describe('Informer on the local cluster', () => {
  it('lists, then sees create, update and delete through a real watch', async () => {
    const { log } = captureLogger('info');
    const informer = new Informer<ConfigMap>(api, CM, { namespace: ns.name, labelSelector: 'suite=informer', log });
    const events: string[] = [];
    informer.addHandlers({
      add: (o) => events.push(`add ${o.metadata.name}`),
      update: (a, b) => {
        if (a.metadata.resourceVersion !== b.metadata.resourceVersion) events.push(`update ${b.metadata.name} ${b.data?.v}`);
      },
      delete: (o) => events.push(`delete ${o.metadata.name}`),
    });
    await api.create<ConfigMap>(CM, { metadata: { name: 'before', namespace: ns.name, labels: { suite: 'informer' } }, data: { v: '0' } });
    informer.start();
    try {
      await informer.waitForSync();
      expect(informer.store.keys()).toEqual([`${ns.name}/before`]);
      const c = await api.create<ConfigMap>(CM, { metadata: { name: 'watched', namespace: ns.name, labels: { suite: 'informer' } }, data: { v: '1' } });
      await api.update<ConfigMap>(CM, { ...c, data: { v: '2' } });
      await api.delete(CM, ns.name, 'watched');
      await pollUntil(() => (events.length >= 4 ? true : undefined), 'the watch events', 30_000);
      expect(events).toEqual(['add before', 'add watched', 'update watched 2', 'delete watched']);
      expect(informer.store.keys()).toEqual([`${ns.name}/before`]);
      expect(Object.isFrozen(informer.store.get(`${ns.name}/before`))).toBe(true);
    } finally {
      await informer.stop();
    }
  });
});

describe('status writes on the local cluster', () => {
  it('writes through the status subresource, skips equal status, and refuses a stale write with 409', async () => {
    // A pod no scheduler claims stays Pending with a status only this test writes.
    const pod = await api.create<Pod>(RESOURCES.pods, {
      metadata: { name: 'status-target', namespace: ns.name },
      spec: { schedulerName: 'virtstack-test-no-such-scheduler', containers: [{ name: 'c', image: 'localhost/virtstack/pause:dev' }] },
    });
    const cached = await pollUntil(async () => {
      const p = await api.get<Pod>(RESOURCES.pods, ns.name, pod.metadata.name!);
      return p.status?.phase ? p : undefined;
    }, 'the pod to have a status', 30_000);
    const written = await writeStatus(api, RESOURCES.pods, cached, { ...cached.status, message: 'written by virt/kube' });
    expect(written?.status?.message).toBe('written by virt/kube');
    expect(await writeStatus(api, RESOURCES.pods, written!, { ...written!.status })).toBeUndefined();
    const err = await writeStatus(api, RESOURCES.pods, cached, { ...cached.status, message: 'from a stale cache' }).catch((e: unknown) => e);
    expect(isConflict(err)).toBe(true);
    expect((await api.get<Pod>(RESOURCES.pods, ns.name, pod.metadata.name!)).status?.message).toBe('written by virt/kube');
  });
});

describe('EventRecorder on the local cluster', () => {
  it('writes Events the server accepts and folds repeats into a count', async () => {
    const { log, lines } = captureLogger('info');
    const target = await api.create<ConfigMap>(CM, { metadata: { name: 'event-target', namespace: ns.name } });
    const rec = new EventRecorder(api, { component: 'virt-controller', host: 'test-host', log });
    rec.event(target, 'Warning', 'FailedCreate', 'could not create the launcher pod');
    rec.event(target, 'Warning', 'FailedCreate', 'could not create the launcher pod');
    await rec.flush();
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
    const events = (await api.list<CoreEvent>(RESOURCES.events, { namespace: ns.name })).items.filter(
      (e) => e.involvedObject.uid === target.metadata.uid,
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ reason: 'FailedCreate', type: 'Warning', count: 2, source: { component: 'virt-controller', host: 'test-host' }, involvedObject: { kind: 'ConfigMap', name: 'event-target' } });
  });
});

describe('LeaderElector on the local cluster', () => {
  it('one leader among two on a real Lease; a stopped leader releases it and the other takes over at once', async () => {
    const timing = { leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 300 };
    const electors = ['replica-a', 'replica-b'].map((identity) => {
      const { log } = captureLogger('info');
      const elector = new LeaderElector(api, { namespace: ns.name, name: 'virt-controller', identity, log, ...timing });
      const stop = new AbortController();
      const leading: AbortSignal[] = [];
      const done = elector.run(async (signal) => {
        leading.push(signal);
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      }, stop.signal);
      return { identity, elector, stop, done, leading };
    });
    try {
      const leader = await pollUntil(() => electors.find((e) => e.elector.isLeader()), 'a leader', 30_000);
      const other = electors.find((e) => e !== leader)!;
      const lease = await api.get<Lease>(RESOURCES.leases, ns.name, 'virt-controller');
      expect(lease.spec?.holderIdentity).toBe(leader.identity);
      expect(lease.spec?.leaseDurationSeconds).toBe(4);
      expect(other.elector.isLeader()).toBe(false);
      // Several renewals later, still exactly one leader.
      await pollUntil(async () => {
        const l = await api.get<Lease>(RESOURCES.leases, ns.name, 'virt-controller');
        return l.spec?.renewTime !== lease.spec?.renewTime ? true : undefined;
      }, 'a renewal', 10_000);
      expect(electors.filter((e) => e.elector.isLeader())).toHaveLength(1);

      const stoppedAt = Date.now();
      leader.stop.abort();
      await leader.done;
      expect(leader.leading[0]?.aborted).toBe(true);
      await pollUntil(() => (other.elector.isLeader() ? true : undefined), 'the standby to take over', 10_000);
      // Released, not expired: the standby did not wait for the lease duration.
      expect(Date.now() - stoppedAt).toBeLessThan(timing.leaseDurationMs);
      expect((await api.get<Lease>(RESOURCES.leases, ns.name, 'virt-controller')).spec).toMatchObject({ holderIdentity: other.identity, leaseTransitions: 1 });
    } finally {
      for (const e of electors) e.stop.abort();
      await Promise.all(electors.map((e) => e.done));
    }
  }, 60_000);
});
