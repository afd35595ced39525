// The pool controller against the in-memory API server, with the VM controller played by the test: each VM
// gets a VMI from its template (its labels, an owner reference), Ready when the test boots it.
import type { VirtualMachine, VirtualMachineInstance, VirtualMachinePool } from '../../api/index.js';
import { POOL_MAX_SURGE_ANNOTATION } from '../../api/kubevirt/pool.js';
import { objectKey } from '../../kube/api.js';
import { EventRecorder } from '../../kube/events.js';
import { Expectations } from '../../kube/expectations.js';
import { Informer } from '../../kube/informer.js';
import { RESOURCES } from '../../kube/resources.js';
import { captureLogger } from '../../kube/testing/capture-logger.js';
import { MemoryApi } from '../../kube/testing/memory-api.js';
import { pollUntil } from '../../kube/testing/poll.js';
import { WorkQueue } from '../../kube/work-queue.js';
import { LaggingApi } from '../testing/harness.js';
import { PoolController, POOL_VM_INDEXERS } from './pool-controller.js';
import { POOL_LABELS } from './pool-names.js';

const NS = 'default';

function newPool(replicas: number, o: { maxUnavailable?: number | string; image?: string; annotations?: Record<string, string> } = {}): VirtualMachinePool {
  return {
    apiVersion: 'pool.kubevirt.io/v1beta1', kind: 'VirtualMachinePool',
    metadata: { name: 'web', namespace: NS, ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      ...(o.maxUnavailable !== undefined ? { maxUnavailable: o.maxUnavailable } : {}),
      virtualMachineTemplate: {
        metadata: { labels: { app: 'web' } },
        spec: { runStrategy: 'Always', template: { spec: { domain: { devices: { disks: [{ name: 'root' }] } }, volumes: [{ name: 'root', containerDisk: { image: o.image ?? 'guest:1' } }] } } },
      },
    },
  } as VirtualMachinePool;
}

class World {
  readonly api = new MemoryApi();
  readonly lag = new LaggingApi(this.api);
  readonly log = captureLogger('debug');
  readonly pools = new Informer<VirtualMachinePool>(this.lag, RESOURCES.pools, { log: this.log.log });
  readonly vms = new Informer<VirtualMachine>(this.lag, RESOURCES.virtualMachines, { log: this.log.log, indexers: POOL_VM_INDEXERS });
  readonly vmis = new Informer<VirtualMachineInstance>(this.lag, RESOURCES.virtualMachineInstances, { log: this.log.log });
  readonly queue = new WorkQueue();
  readonly events = new EventRecorder(this.api, { component: 'virt-controller', host: 'test', log: this.log.log });
  readonly controller = new PoolController({
    api: this.api, pools: this.pools, vms: this.vms, vmis: this.vmis, queue: this.queue,
    expectations: new Expectations(), updates: new Expectations(), events: this.events, log: this.log.log,
  });
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;

  start(): void {
    for (const i of [this.pools, this.vms, this.vmis]) i.start();
    this.running = this.controller.run(this.abort.signal, 2);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    await Promise.all([this.pools, this.vms, this.vmis].map((i) => i.stop()));
    await this.events.flush();
  }

  vmNames(): string[] {
    return this.api.all<VirtualMachine>(RESOURCES.virtualMachines).filter((v) => !v.metadata.deletionTimestamp).map((v) => v.metadata.name ?? '').sort();
  }

  pool(): VirtualMachinePool {
    return this.api.all<VirtualMachinePool>(RESOURCES.pools)[0]!;
  }

  /** The VM controller's part: a VMI for every VM that has none, from its current template. */
  async startVmis(): Promise<void> {
    const vmis = new Set(this.api.all<VirtualMachineInstance>(RESOURCES.virtualMachineInstances).map((v) => v.metadata.name));
    for (const vm of this.api.all<VirtualMachine>(RESOURCES.virtualMachines)) {
      if (vmis.has(vm.metadata.name) || vm.metadata.deletionTimestamp) continue;
      await this.api.create<VirtualMachineInstance>(RESOURCES.virtualMachineInstances, {
        apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance',
        metadata: { name: vm.metadata.name!, namespace: NS, labels: { ...(vm.spec.template.metadata?.labels ?? {}) }, ownerReferences: [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name: vm.metadata.name!, uid: vm.metadata.uid!, controller: true }] },
        spec: vm.spec.template.spec,
      } as VirtualMachineInstance);
    }
  }

  /** The guests boot: every VMI not yet Ready becomes Ready. */
  async bootAll(): Promise<void> {
    for (const vmi of this.api.all<VirtualMachineInstance>(RESOURCES.virtualMachineInstances)) {
      if (vmi.status?.conditions?.some((c) => c.type === 'Ready')) continue;
      await this.api.updateStatus(RESOURCES.virtualMachineInstances, { ...vmi, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
    }
  }

  eventMessages(reason: string): string[] {
    return this.api.all<{ metadata: { name?: string }; reason?: string; message?: string }>(RESOURCES.events).filter((e) => e.reason === reason).map((e) => e.message ?? '');
  }

  readyCount(): number {
    return this.api.all<VirtualMachineInstance>(RESOURCES.virtualMachineInstances).filter((v) => !v.metadata.deletionTimestamp && v.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
  }
}

let w: World;
beforeEach(() => {
  w = new World();
  w.start();
});
afterEach(async () => {
  await w.stop();
});

const until = <T>(what: string, check: () => T | undefined | false, ms = 3000) => pollUntil(() => { const v = check(); return v === false ? undefined : v; }, what, ms);

test('creates <pool>-0 … <pool>-(n-1) owned by the pool and reports replicas, readyReplicas and the selector', async () => {
  await w.api.create(RESOURCES.pools, newPool(3));
  await until('3 VMs', () => w.vmNames().length === 3);
  expect(w.vmNames()).toEqual(['web-0', 'web-1', 'web-2']);
  const vm = w.api.all<VirtualMachine>(RESOURCES.virtualMachines)[0]!;
  expect(vm.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'VirtualMachinePool', name: 'web', uid: w.pool().metadata.uid, controller: true });
  await w.startVmis();
  await w.bootAll();
  const status = await until('readyReplicas 3', () => (w.pool().status?.readyReplicas === 3 ? w.pool().status : undefined));
  expect(status).toMatchObject({ replicas: 3, readyReplicas: 3, labelSelector: 'app=web', updatedReplicas: 3, updatedReadyReplicas: 3, observedGeneration: w.pool().metadata.generation });
});

test('a cache that has not seen its creations yet never creates a second VM for an ordinal', async () => {
  w.lag.hold(RESOURCES.virtualMachines);
  await w.api.create(RESOURCES.pools, newPool(2));
  await until('2 creates', () => w.api.calls.filter((c) => c.method === 'create' && c.res === 'virtualmachines').length >= 2);
  // Wake the pool again and again while its VM cache is behind.
  for (let i = 0; i < 5; i++) w.queue.add(`${NS}/web`);
  await new Promise((r) => setTimeout(r, 50));
  expect(w.api.calls.filter((c) => c.method === 'create' && c.res === 'virtualmachines')).toHaveLength(2);
  w.lag.release(RESOURCES.virtualMachines);
  await until('status replicas 2', () => w.pool().status?.replicas === 2);
  expect(w.api.calls.filter((c) => c.method === 'create' && c.res === 'virtualmachines')).toHaveLength(2);
});

test('scale-down deletes the highest ordinals; a deleted member is created again', async () => {
  await w.api.create(RESOURCES.pools, newPool(4));
  await until('4 VMs', () => w.vmNames().length === 4);
  await w.api.patch(RESOURCES.pools, NS, 'web', { spec: { replicas: 2 } }, 'merge');
  await until('web-0, web-1 left', () => w.vmNames().join() === 'web-0,web-1');
  const uid = w.api.all<VirtualMachine>(RESOURCES.virtualMachines).find((v) => v.metadata.name === 'web-1')!.metadata.uid;
  await w.api.delete(RESOURCES.virtualMachines, NS, 'web-1');
  const back = await until('web-1 again', () => w.api.all<VirtualMachine>(RESOURCES.virtualMachines).find((v) => v.metadata.name === 'web-1' && v.metadata.uid !== uid));
  expect(back.metadata.labels?.[POOL_LABELS.pool]).toBe('web');
});

async function roll(pool: VirtualMachinePool, newImage: string): Promise<number[]> {
  await w.api.create(RESOURCES.pools, pool);
  const n = pool.spec.replicas ?? 1;
  await until('VMs', () => w.vmNames().length === n);
  await w.startVmis();
  await w.bootAll();
  await until('all ready', () => w.pool().status?.readyReplicas === n);
  const samples: number[] = [];
  const tpl = structuredClone(w.pool().spec.virtualMachineTemplate);
  tpl.spec.template.spec.volumes![0]!.containerDisk!.image = newImage;
  await w.api.patch(RESOURCES.pools, NS, 'web', { spec: { virtualMachineTemplate: tpl } }, 'merge');
  const newRevision = await until('the new revision in status', () => (w.pool().status?.observedGeneration === w.pool().metadata.generation ? w.pool().status?.currentRevision : undefined));
  const done = () => {
    const vmis = w.api.all<VirtualMachineInstance>(RESOURCES.virtualMachineInstances).filter((v) => !v.metadata.deletionTimestamp);
    return vmis.length === n && vmis.every((v) => v.metadata.labels?.[POOL_LABELS.revision] === newRevision && v.spec.volumes?.[0]?.containerDisk?.image === newImage) && w.pool().status?.updatedReadyReplicas === n && w.pool().status?.replicas === n;
  };
  // One step of the world at a time: the VM controller starts missing VMIs, then the guests boot.
  for (let step = 0; step < 200 && !done(); step++) {
    samples.push(w.readyCount());
    await new Promise((r) => setTimeout(r, 5));
    samples.push(w.readyCount());
    await w.startVmis();
    samples.push(w.readyCount());
    await w.bootAll();
  }
  expect(done()).toBe(true);
  return samples;
}

test('a template change rolls every VM onto it, never with fewer than replicas − maxUnavailable Ready', async () => {
  const samples = await roll(newPool(5, { maxUnavailable: 2 }), 'guest:2');
  expect(Math.min(...samples)).toBeGreaterThanOrEqual(3);
  // and it did take VMs down (the bound is not met trivially)
  expect(Math.min(...samples)).toBeLessThan(5);
});

test('maxUnavailable 0 with a surge of 1 keeps every replica Ready and removes the surge VM afterwards', async () => {
  const samples = await roll(newPool(3, { maxUnavailable: 0, annotations: { [POOL_MAX_SURGE_ANNOTATION]: '1' } }), 'guest:2');
  expect(Math.min(...samples)).toBeGreaterThanOrEqual(3);
  await until('surge gone', () => w.vmNames().join() === 'web-0,web-1,web-2');
  expect(w.eventMessages('SuccessfulCreate').some((m) => m.includes('web-3'))).toBe(true);
});

test('a malformed surge annotation is a ReplicaFailure condition naming it', async () => {
  await w.api.create(RESOURCES.pools, newPool(1, { annotations: { [POOL_MAX_SURGE_ANNOTATION]: 'lots' } }));
  const c = await until('ReplicaFailure', () => w.pool().status?.conditions?.find((x) => x.type === 'ReplicaFailure'));
  expect(c).toMatchObject({ status: 'True', reason: 'InvalidMaxSurge' });
  expect(c.message).toContain(POOL_MAX_SURGE_ANNOTATION);
  expect(objectKey(w.pool())).toBe(`${NS}/web`);
});

