// virt-controller entry: reads flags and environment, connects to the API server, and while this replica
// holds the `virt-controller` Lease runs the VM, VMI and DataVolume controllers. Exits 0 on SIGTERM/SIGINT (after
// releasing the lease), 2 on bad flags, 1 on any other fatal error.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, parseControllerConfig } from '../controller/config.js';
import { VirtControllers, CONTROLLER_COMPONENT } from '../controller/virt-controllers.js';
import { CONTROLLER_LEASE } from '../install/manifests.js';
import { HttpKubeApi } from '../kube/http-api.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
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
  --kubeconfig FILE               out of cluster only; in a pod the service account is used
  -h, --help                      this text
`;

function fail(message: string, code: number): never {
  process.stderr.write(`virt-controller: ${message}\n`);
  process.exit(code);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      namespace: { type: 'string' },
      'launcher-image': { type: 'string' },
      'launcher-image-pull-policy': { type: 'string' },
      'importer-image': { type: 'string' },
      emulation: { type: 'string' },
      'log-level': { type: 'string' },
      identity: { type: 'string' },
      workers: { type: 'string' },
      kubeconfig: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }));
} catch (e) {
  fail(`${(e as Error).message}\n\n${USAGE}`, 2);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

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
  });
} catch (e) {
  if (e instanceof ConfigError) fail(`${e.message}\n\n${USAGE}`, 2);
  throw e;
}

const log = jsonLogger({ component: CONTROLLER_COMPONENT, identity: config.identity }, { level: config.logLevel });
const stop = new AbortController();
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    log.info('stopping: releasing the lease', { signal: sig });
    stop.abort();
  });
}

try {
  const api = new HttpKubeApi(loadKubeConfig(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}), { userAgent: `${CONTROLLER_COMPONENT}/${config.identity}` });
  const elector = new LeaderElector(api, { namespace: config.namespace, name: CONTROLLER_LEASE, identity: config.identity, log });
  log.info('starting', { namespace: config.namespace, launcherImage: config.launcherImage, importerImage: config.importerImage, emulation: config.emulation });
  // A fresh set of caches and queues per term: a replica that leads again starts from the API's state.
  await elector.run((leading) => new VirtControllers({ api, config, log }).run(leading), stop.signal);
  log.info('stopped');
  process.exit(0);
} catch (e) {
  const err = e as Error;
  log.error('fatal', { error: err, ...(err.cause !== undefined ? { cause: String(err.cause) } : {}) });
  process.exit(1);
}
