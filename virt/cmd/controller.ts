// virt-controller entry: reads flags and environment, connects to the API server, and while this replica
// holds the `virt-controller` Lease runs the VM, VMI and DataVolume controllers. Exits 0 on SIGTERM/SIGINT (after
// releasing the lease), 2 on bad flags, 1 on any other fatal error.
import { hostname } from 'node:os';
import { ConfigError, parseControllerConfig } from '../controller/config.js';
import { VirtControllers, CONTROLLER_COMPONENT } from '../controller/virt-controllers.js';
import { connectKubeApi, exitFatal, parseFlags, stopOnSignals, usageError } from '../entrypoint/bootstrap.js';
import { CONTROLLER_LEASE } from '../install/manifests.js';
import { LeaderElector } from '../kube/leader-election.js';
import { jsonLogger } from '../logger/logger.js';

const USAGE = `usage: node dist/virt/cmd/controller.js --namespace NS --launcher-image IMAGE [options]

  --namespace NS                  the stack's namespace, where the leader Lease lives (default: $POD_NAMESPACE)
  --launcher-image IMAGE          image of the launcher pods, e.g. localhost/virtstack/launcher:dev
  --launcher-image-pull-policy P  Always, IfNotPresent or Never (default IfNotPresent); also the importers'
  --importer-image IMAGE          image of the DataVolume importer pods (default: the launcher image's
                                  registry and tag with the name importer)
  --emulation MODE                auto: request KVM where a node reports it usable, else TCG;
                                  on: always TCG; off: KVM only (default auto)
  --log-level LEVEL               debug, info, warn, error (default info); also the launchers'
  --identity NAME                 this replica's name in the Lease (default: $POD_NAME, else the host name)
  --workers N                     concurrent syncs per controller (default 2)
  --migrations JSON               upstream's migrations settings (bandwidthPerMigration, parallelMigrationsPerCluster,
                                  parallelOutboundMigrationsPerNode, completionTimeoutPerGiB, progressTimeout,
                                  allowAutoConverge, allowPostCopy); unset fields keep upstream's defaults
  --kubeconfig FILE               out of cluster only; in a pod the service account is used
  -h, --help                      this text
`;

const values = parseFlags(CONTROLLER_COMPONENT, USAGE, {
  namespace: { type: 'string' },
  'launcher-image': { type: 'string' },
  'launcher-image-pull-policy': { type: 'string' },
  'importer-image': { type: 'string' },
  emulation: { type: 'string' },
  'log-level': { type: 'string' },
  identity: { type: 'string' },
  workers: { type: 'string' },
  migrations: { type: 'string' },
  kubeconfig: { type: 'string' },
});

let config;
try {
  config = parseControllerConfig({
    namespace: values.namespace ?? process.env.POD_NAMESPACE,
    launcherImage: values['launcher-image'],
    launcherImagePullPolicy: values['launcher-image-pull-policy'],
    importerImage: values['importer-image'],
    emulation: values.emulation,
    logLevel: values['log-level'],
    identity: values.identity ?? process.env.POD_NAME ?? hostname(),
    workers: values.workers,
    migrations: values.migrations ?? process.env.VIRTSTACK_MIGRATIONS,
  });
} catch (e) {
  if (e instanceof ConfigError) usageError(CONTROLLER_COMPONENT, e.message, USAGE);
  throw e;
}

const log = jsonLogger({ component: CONTROLLER_COMPONENT, identity: config.identity }, { level: config.logLevel });
const stopping = stopOnSignals((sig) => log.info('stopping: releasing the lease', { signal: sig }));
const api = connectKubeApi(CONTROLLER_COMPONENT, values.kubeconfig, `${CONTROLLER_COMPONENT}/${config.identity}`);

try {
  const elector = new LeaderElector(api, { namespace: config.namespace, name: CONTROLLER_LEASE, identity: config.identity, log });
  log.info('starting', { namespace: config.namespace, launcherImage: config.launcherImage, importerImage: config.importerImage, emulation: config.emulation });
  // A fresh set of caches and queues per term: a replica that leads again starts from the API's state.
  await elector.run((leading) => new VirtControllers({ api, config, log }).run(leading), stopping);
  log.info('stopped');
  process.exit(0);
} catch (e) {
  exitFatal(log, e);
}
