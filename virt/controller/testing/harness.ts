// Both controllers against the in-memory API server, with the parts of the cluster a unit test plays by hand:
// the scheduler and kubelet (bind a pod, run it, finish its deletion), the node handler (report the guest's
// phase), nodes that come and go — and a cache that can be made to lag behind the API.
import type { VirtualMachine, VirtualMachineInstance } from '../../api/index.js';
import { objectKey, type KubeApi, type KubeObject, type ListOptions, type PatchOptions, type PatchType, type ResourceRef, type WatchEvent, type WatchOptions, type DeleteOptions } from '../../kube/api.js';
import type { NodeObject, Pod } from '../../kube/core-types.js';
import { RESOURCES } from '../../kube/resources.js';
import { MemoryApi } from '../../kube/testing/memory-api.js';
import { captureLogger, type LogLine } from '../../kube/testing/capture-logger.js';
import { pollUntil } from '../../kube/testing/poll.js';
import { LABELS } from '../../protocol/launcher-pod.js';
import type { ControllerConfig } from '../config.js';
import type { ProgressFetcher } from '../datavolume/progress.js';
import { VirtControllers } from '../virt-controllers.js';

/** Delivers watch events of held kinds only when released: an informer that lags behind the API server. */
export class LaggingApi implements KubeApi {
  private readonly held = new Map<string, (() => void)[]>();

  constructor(private readonly inner: KubeApi) {}

  hold(res: ResourceRef): void {
    if (!this.held.has(res.plural)) this.held.set(res.plural, []);
  }

  /** Delivers what was held, in order, and stops holding. */
  release(res: ResourceRef): void {
    const queued = this.held.get(res.plural) ?? [];
    this.held.delete(res.plural);
    for (const deliver of queued) deliver();
  }

  get<T extends KubeObject>(res: ResourceRef, ns: string | undefined, name: string): Promise<T> {
    return this.inner.get<T>(res, ns, name);
  }
  list<T extends KubeObject>(res: ResourceRef, opts?: ListOptions) {
    return this.inner.list<T>(res, opts);
  }
  watch<T extends KubeObject>(res: ResourceRef, opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
    return this.inner.watch<T>(res, opts, (e) => {
      const queue = this.held.get(res.plural);
      if (queue) queue.push(() => onEvent(e));
      else onEvent(e);
    }, signal);
  }
  create<T extends KubeObject>(res: ResourceRef, obj: T): Promise<T> {
    return this.inner.create(res, obj);
  }
  update<T extends KubeObject>(res: ResourceRef, obj: T): Promise<T> {
    return this.inner.update(res, obj);
  }
  updateStatus<T extends KubeObject>(res: ResourceRef, obj: T): Promise<T> {
    return this.inner.updateStatus(res, obj);
  }
  patch<T extends KubeObject>(res: ResourceRef, ns: string | undefined, name: string, patch: unknown, type: PatchType, opts?: PatchOptions): Promise<T> {
    return this.inner.patch<T>(res, ns, name, patch, type, opts);
  }
  delete(res: ResourceRef, ns: string | undefined, name: string, opts?: DeleteOptions): Promise<void> {
    return this.inner.delete(res, ns, name, opts);
  }
}

export const NS = 'default';

export interface HarnessOptions {
  config?: Partial<ControllerConfig>;
  /** Nodes to create, with their accelerator label. @default node-1 and node-2, tcg */
  nodes?: { name: string; accelerator: 'kvm' | 'tcg' }[];
  /** What a running importer's progress metric answers. @default nothing (no answer) */
  fetchProgress?: ProgressFetcher;
}

export class Harness {
  readonly api = new MemoryApi();
  readonly lag = new LaggingApi(this.api);
  readonly logs: LogLine[];
  /** The controllers' clock; tests move it forward (crash-loop back-off). */
  clock = Date.parse('2026-03-01T10:00:00Z');
  readonly controllers: VirtControllers;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;

  constructor(opts: HarnessOptions = {}) {
    const { log, lines } = captureLogger('debug');
    this.logs = lines;
    for (const n of opts.nodes ?? [{ name: 'node-1', accelerator: 'tcg' }, { name: 'node-2', accelerator: 'tcg' }]) this.seedNode(n.name, n.accelerator);
    this.controllers = new VirtControllers({
      api: this.api,
      readApi: this.lag,
      log,
      config: { launcherImage: 'localhost/virtstack/launcher:dev', launcherImagePullPolicy: 'IfNotPresent', importerImage: 'localhost/virtstack/importer:dev', emulation: 'auto', logLevel: 'info', identity: 'virt-controller-test', workers: 2, ...opts.config },
      now: () => new Date(this.clock),
      random: () => 0,
      fetchProgress: opts.fetchProgress ?? (() => Promise.resolve(undefined)),
    });
  }

  seedNode(name: string, accelerator: 'kvm' | 'tcg'): void {
    this.api.seed<NodeObject>(RESOURCES.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { [LABELS.schedulable]: 'true', [LABELS.accelerator]: accelerator } } });
  }

  start(): void {
    this.running = this.controllers.run(this.abort.signal);
  }

  /** Caches only, no workers: the test calls the controllers' sync() itself. */
  async startCaches(): Promise<void> {
    this.cachesOnly = true;
    this.controllers.startCaches();
    const c = this.controllers.caches;
    await Promise.all([c.vms, c.vmis, c.pods, c.nodes, c.claims, c.dataVolumes, c.importerPods, c.storageClasses, c.migrations, c.pdbs].map((i) => i.waitForSync()));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    if (this.cachesOnly) {
      this.controllers.vmQueue.shutDown();
      this.controllers.vmiQueue.shutDown();
      this.controllers.dataVolumeQueue.shutDown();
      this.controllers.migrationQueue.shutDown();
      this.controllers.evacuationQueue.shutDown();
      this.controllers.disruptionBudgetQueue.shutDown();
      await this.controllers.stopCaches();
      await this.controllers.events.flush();
    }
  }

  private cachesOnly = false;

  async createVm(vm: VirtualMachine): Promise<VirtualMachine> {
    return this.api.create<VirtualMachine>(RESOURCES.virtualMachines, vm as VirtualMachine);
  }

  vm(name = 'vm1'): VirtualMachine | undefined {
    return this.api.all<VirtualMachine>(RESOURCES.virtualMachines).find((v) => v.metadata.name === name);
  }

  vmi(name = 'vm1'): VirtualMachineInstance | undefined {
    return this.api.all<VirtualMachineInstance>(RESOURCES.virtualMachineInstances).find((v) => v.metadata.name === name);
  }

  pods(vmiName = 'vm1'): Pod[] {
    return this.api.all<Pod>(RESOURCES.pods).filter((p) => p.metadata.ownerReferences?.some((r) => r.name === vmiName));
  }

  /** Polls `check` (shorter than jest's own timeout, so a failure names what was awaited and the world). */
  async until<T>(what: string, check: () => T | undefined | false, timeoutMs = 3000): Promise<T> {
    try {
      return await pollUntil(() => {
        const v = check();
        return v === false ? undefined : v;
      }, what, timeoutMs);
    } catch (e) {
      throw new Error(`${(e as Error).message}\nworld: ${JSON.stringify(this.world(), null, 1)}`, { cause: e });
    }
  }

  /** A summary of the VMs, VMIs and pods, for failure messages. */
  world(): unknown {
    return {
      vms: this.api.all<VirtualMachine>(RESOURCES.virtualMachines).map((v) => ({ name: v.metadata.name, deleting: !!v.metadata.deletionTimestamp, status: v.status })),
      vmis: this.api.all<VirtualMachineInstance>(RESOURCES.virtualMachineInstances).map((v) => ({ name: v.metadata.name, uid: v.metadata.uid, deleting: !!v.metadata.deletionTimestamp, finalizers: v.metadata.finalizers, phase: v.status?.phase, conditions: v.status?.conditions })),
      pods: this.api.all<Pod>(RESOURCES.pods).map((p) => ({ name: p.metadata.name, owner: p.metadata.ownerReferences?.[0]?.uid, node: p.spec?.nodeName, deleting: !!p.metadata.deletionTimestamp, phase: p.status?.phase })),
      warnings: this.logs.filter((l) => l.level === 'warn' || l.level === 'error').slice(-10),
    };
  }

  /** The scheduler binds the pod, the kubelet starts it (all containers running, Ready). */
  async runPod(pod: Pod, node = 'node-1', ready = true): Promise<void> {
    const ns = pod.metadata.namespace ?? NS;
    await this.api.patch(RESOURCES.pods, ns, pod.metadata.name!, { spec: { nodeName: node } }, 'merge');
    const cur = await this.api.get<Pod>(RESOURCES.pods, ns, pod.metadata.name!);
    const names = (cur.spec?.containers ?? []).map((c) => c.name);
    await this.api.updateStatus<Pod>(RESOURCES.pods, {
      ...cur,
      status: {
        phase: 'Running',
        conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: ready ? 'True' : 'False' }],
        containerStatuses: names.map((name) => ({ name, ready, restartCount: 0, state: { running: { startedAt: '2026-03-01T10:00:05Z' } } })),
      },
    });
  }

  /** The scheduler cannot place the pod. */
  async unschedulable(pod: Pod, message: string): Promise<void> {
    const cur = await this.api.get<Pod>(RESOURCES.pods, pod.metadata.namespace, pod.metadata.name!);
    await this.api.updateStatus<Pod>(RESOURCES.pods, { ...cur, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] } });
  }

  /** The launcher exited: the pod ends in `phase`. */
  async endPod(pod: Pod, phase: 'Succeeded' | 'Failed'): Promise<void> {
    const cur = await this.api.get<Pod>(RESOURCES.pods, pod.metadata.namespace, pod.metadata.name!);
    const exitCode = phase === 'Succeeded' ? 0 : 1;
    await this.api.updateStatus<Pod>(RESOURCES.pods, {
      ...cur,
      status: { ...cur.status, phase, containerStatuses: (cur.spec?.containers ?? []).map((c) => ({ name: c.name, ready: false, restartCount: 0, state: { terminated: { exitCode } } })) },
    });
  }

  /** The kubelet finishes a graceful deletion (the pod's processes are gone). */
  async finishPodDeletion(pod: Pod): Promise<void> {
    await this.api.delete(RESOURCES.pods, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0 });
  }

  /** The node handler reports the guest's phase (appending the transition, as it does). */
  async handlerReports(phase: 'Running' | 'Succeeded' | 'Failed', name = 'vm1'): Promise<void> {
    for (;;) {
      const cur = await this.api.get<VirtualMachineInstance>(RESOURCES.virtualMachineInstances, NS, name);
      const status = structuredClone(cur.status ?? {});
      status.phase = phase;
      status.phaseTransitionTimestamps = [...(status.phaseTransitionTimestamps ?? []), { phase, phaseTransitionTimestamp: '2026-03-01T10:00:10Z' }];
      try {
        await this.api.updateStatus(RESOURCES.virtualMachineInstances, { ...cur, status });
        return;
      } catch (e) {
        // The controller wrote in between: read again, as the handler would.
        if ((e as { code?: number }).code !== 409) throw e;
      }
    }
  }

  events(reason?: string): { reason: string; message: string; involvedObject: { kind?: string; name?: string } }[] {
    return this.api.all<KubeObject & { reason: string; message: string; involvedObject: { kind?: string; name?: string } }>(RESOURCES.events).filter((e) => !reason || e.reason === reason);
  }

  key(name = 'vm1'): string {
    return objectKey({ metadata: { namespace: NS, name } });
  }
}
