// The controller process's work while it leads: one set of informers shared by the VM and VMI controllers,
// each controller with its own queue and expectations, Events as virt-controller. Built fresh for every
// leadership term, so a replica that lost the lease and wins it again starts from a clean cache.
import type { DataVolume, VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceMigration, VirtualMachinePool } from '../api/index.js';
import { setMaxListeners } from 'node:events';
import type { KubeApi } from '../kube/api.js';
import type { NodeObject, Pod } from '../kube/core-types.js';
import { EventRecorder } from '../kube/events.js';
import { Expectations } from '../kube/expectations.js';
import { Informer } from '../kube/informer.js';
import { RESOURCES } from '../kube/resources.js';
import { WorkQueue } from '../kube/work-queue.js';
import type { Logger } from '../logger/logger.js';
import { LABELS } from '../protocol/launcher-pod.js';
import { MIGRATION_DEFAULTS } from '../api/defaults/index.js';
import type { ControllerConfig } from './config.js';
import { DataVolumeController } from './datavolume/dv-controller.js';
import { MIGRATION_INDEXERS, MigrationController } from './migration/migration-controller.js';
import { EvacuationController } from './evacuation/evacuation-controller.js';
import { PDBS, PdbController, type PodDisruptionBudget } from './disruption-budget/pdb-controller.js';
import { LABELS as CDI_LABELS } from './datavolume/cdi-names.js';
import type { PersistentVolumeClaim } from './datavolume/claim.js';
import type { ProgressFetcher } from './datavolume/progress.js';
import { STORAGE_CLASSES, type StorageClass } from './datavolume/storage-class.js';
import { PoolController, POOL_VM_INDEXERS } from './pool/pool-controller.js';
import { VmController, vmIndexers } from './vm/vm-controller.js';
import { POD_INDEXERS, VMI_INDEXERS, VmiController } from './vmi/vmi-controller.js';

export const CONTROLLER_COMPONENT = 'virt-controller';

export interface VirtControllersOptions {
  api: KubeApi;
  config: Pick<ControllerConfig, 'launcherImage' | 'launcherImagePullPolicy' | 'importerImage' | 'emulation' | 'logLevel' | 'identity' | 'workers'> & Partial<Pick<ControllerConfig, 'migrations'>>;
  log: Logger;
  /** Where the informers list and watch; `api` unless given (tests put a lagging cache here). */
  readApi?: KubeApi;
  now?: () => Date;
  random?: () => number;
  /** How the DataVolume controller reads a running importer's progress (tests pass a fake). */
  fetchProgress?: ProgressFetcher;
  /** Expectations older than this count as met (a lost watch event must not wedge a key). */
  expectationsTtlMs?: number;
}

export class VirtControllers {
  readonly vm: VmController;
  readonly vmi: VmiController;
  readonly dataVolume: DataVolumeController;
  readonly pool: PoolController;
  readonly migration: MigrationController;
  readonly migrationQueue = new WorkQueue();
  readonly evacuation: EvacuationController;
  readonly evacuationQueue = new WorkQueue();
  readonly disruptionBudget: PdbController;
  readonly disruptionBudgetQueue = new WorkQueue();
  readonly vmQueue = new WorkQueue();
  readonly vmiQueue = new WorkQueue();
  readonly dataVolumeQueue = new WorkQueue();
  readonly poolQueue = new WorkQueue();
  readonly events: EventRecorder;
  /** The shared caches (read-only views for tests and diagnostics; the controllers own them). */
  readonly caches: {
    vms: Informer<VirtualMachine>;
    vmis: Informer<VirtualMachineInstance>;
    pods: Informer<Pod>;
    nodes: Informer<NodeObject>;
    claims: Informer<PersistentVolumeClaim>;
    dataVolumes: Informer<DataVolume>;
    importerPods: Informer<Pod>;
    storageClasses: Informer<StorageClass>;
    migrations: Informer<VirtualMachineInstanceMigration>;
    pools: Informer<VirtualMachinePool>;
    pdbs: Informer<PodDisruptionBudget>;
  };
  private readonly informers: { start(): void; stop(): Promise<void> }[];

  constructor(private readonly o: VirtControllersOptions) {
    const read = o.readApi ?? o.api;
    const log = o.log;
    const vms = new Informer<VirtualMachine>(read, RESOURCES.virtualMachines, { log, indexers: { ...vmIndexers, ...POOL_VM_INDEXERS } });
    const vmis = new Informer<VirtualMachineInstance>(read, RESOURCES.virtualMachineInstances, { log, indexers: VMI_INDEXERS });
    // Only launcher pods: the controller has no business with any other pod.
    const pods = new Informer<Pod>(read, RESOURCES.pods, { log, labelSelector: `${LABELS.app}=${LABELS.appLauncher}`, indexers: POD_INDEXERS });
    const nodes = new Informer<NodeObject>(read, RESOURCES.nodes, { log });
    const claims = new Informer<PersistentVolumeClaim>(read, RESOURCES.persistentVolumeClaims, { log });
    const dataVolumes = new Informer<DataVolume>(read, RESOURCES.dataVolumes, { log });
    // Only importer pods (CDI's label): the DataVolume controller's.
    const importerPods = new Informer<Pod>(read, RESOURCES.pods, { log, labelSelector: `${CDI_LABELS.app}=${CDI_LABELS.appValue}` });
    const storageClasses = new Informer<StorageClass>(read, STORAGE_CLASSES, { log });
    const migrations = new Informer<VirtualMachineInstanceMigration>(read, RESOURCES.migrations, { log, indexers: MIGRATION_INDEXERS });
    const pools = new Informer<VirtualMachinePool>(read, RESOURCES.pools, { log });
    const pdbs = new Informer<PodDisruptionBudget>(read, PDBS, { log });
    this.caches = { vms, vmis, pods, nodes, claims, dataVolumes, importerPods, storageClasses, migrations, pools, pdbs };
    this.informers = [vms, vmis, pods, nodes, claims, dataVolumes, importerPods, storageClasses, migrations, pools, pdbs];
    this.events = new EventRecorder(o.api, { component: CONTROLLER_COMPONENT, host: o.config.identity, log });
    const opt = { ...(o.now ? { now: o.now } : {}) };
    const expectations = () => new Expectations(o.expectationsTtlMs !== undefined ? { ttlMs: o.expectationsTtlMs } : {});
    this.vm = new VmController({
      api: o.api, vms, vmis, dataVolumes, claims, queue: this.vmQueue, expectations: expectations(), events: this.events, log,
      ...opt, ...(o.random ? { random: o.random } : {}),
    });
    this.vmi = new VmiController({
      api: o.api, vmis, pods, nodes, claims, dataVolumes, queue: this.vmiQueue, expectations: expectations(), events: this.events, log,
      config: { launcherImage: o.config.launcherImage, launcherImagePullPolicy: o.config.launcherImagePullPolicy, emulation: o.config.emulation, launcherLogLevel: o.config.logLevel },
      ...opt,
    });
    this.dataVolume = new DataVolumeController({
      api: o.api, dataVolumes, claims, pods: importerPods, launcherPods: pods, storageClasses, queue: this.dataVolumeQueue, events: this.events, log,
      config: { importerImage: o.config.importerImage, importerImagePullPolicy: o.config.launcherImagePullPolicy },
      ...opt, ...(o.fetchProgress ? { fetchProgress: o.fetchProgress } : {}),
    });
    this.migration = new MigrationController({
      api: o.api, migrations, vmis, pods, queue: this.migrationQueue, expectations: expectations(), events: this.events, log,
      config: {
        launcherImage: o.config.launcherImage, launcherImagePullPolicy: o.config.launcherImagePullPolicy, launcherLogLevel: o.config.logLevel,
        migrations: o.config.migrations ?? { ...MIGRATION_DEFAULTS },
      },
      ...opt,
    });
    this.evacuation = new EvacuationController({ api: o.api, vmis, migrations, queue: this.evacuationQueue, events: this.events, log, ...opt });
    this.disruptionBudget = new PdbController({ api: o.api, vmis, pdbs, queue: this.disruptionBudgetQueue, log });
    this.pool = new PoolController({ api: o.api, pools, vms, vmis, queue: this.poolQueue, expectations: expectations(), updates: expectations(), events: this.events, log, ...opt });
  }

  /** Starts the informers (idempotent); run() does it too. */
  startCaches(): void {
    for (const i of this.informers) i.start();
  }

  /** Stops the informers started by startCaches (when run() was never called). */
  async stopCaches(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  /** Runs the controllers until `signal` aborts, then stops the informers and flushes the Events. */
  async run(signal: AbortSignal): Promise<void> {
    // Every informer and worker listens for the abort: more than Node's default warning threshold.
    setMaxListeners(64, signal);
    this.startCaches();
    try {
      await Promise.all([this.vm.run(signal, this.o.config.workers), this.vmi.run(signal, this.o.config.workers), this.dataVolume.run(signal, this.o.config.workers), this.migration.run(signal, this.o.config.workers), this.pool.run(signal, this.o.config.workers), this.evacuation.run(signal, 1), this.disruptionBudget.run(signal, 1)]);
    } finally {
      await Promise.all(this.informers.map((i) => i.stop()));
      await this.events.flush();
    }
  }
}
