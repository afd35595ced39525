// virt-handler entry: the node daemon (DaemonSet, privileged, hostPID). Reads flags, builds its
// dependencies, runs until SIGTERM. VMs keep running when it stops: they live in their own pods.
import { parseArgs } from 'node:util';
import { HANDLER_SECRET } from '../certs/stack-certificates.js';
import { watchTlsSecret } from '../certs/tls-secret.js';
import { startNodeDevicePlugins } from '../handler/device-plugin/index.js';
import { HANDLER_ENDPOINT_PORT } from '../handler/endpoint/index.js';
import { runNodeHandler } from '../handler/node-handler.js';
import { NodePodNetwork } from '../handler/network/node-pod-network.js';
import { HttpKubeApi } from '../kube/http-api.js';
import { KubeConfigError, loadKubeConfig } from '../kube/kubeconfig.js';
import { jsonLogger, LOG_LEVELS, type LogLevel } from '../logger/logger.js';

const USAGE = `usage: node dist/virt/cmd/handler.js --node-name NAME [options]

  --node-name NAME         this node (the DaemonSet passes spec.nodeName)
  --kubelet-root-dir DIR   the kubelet's root directory, mounted at the same path (default /var/lib/kubelet)
  --state-dir DIR          node-level state such as the KVM probe's verdict (default /var/lib/virtstack/node/handler)
  --namespace NAME         the stack's namespace (default virtstack)
  --endpoint-port PORT     the mutual-TLS endpoint for the api: pause, console, vnc (default 8186; 0: none)
  --log-level LEVEL        debug, info, warn, error (default info)
  --kubeconfig FILE        out of cluster only; in a pod the service account is used
`;

let values: ReturnType<typeof parse>['values'];
function parse() {
  return parseArgs({
    options: {
      'node-name': { type: 'string' },
      'kubelet-root-dir': { type: 'string', default: '/var/lib/kubelet' },
      'state-dir': { type: 'string', default: '/var/lib/virtstack/node/handler' },
      namespace: { type: 'string', default: 'virtstack' },
      'endpoint-port': { type: 'string', default: String(HANDLER_ENDPOINT_PORT) },
      'log-level': { type: 'string', default: 'info' },
      kubeconfig: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
}
try {
  values = parse().values;
} catch (e) {
  process.stderr.write(`virt-handler: ${(e as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const level = values['log-level'] as LogLevel;
if (!LOG_LEVELS.includes(level)) {
  process.stderr.write(`virt-handler: --log-level must be debug, info, warn or error, not ${level}\n`);
  process.exit(2);
}
const nodeName = values['node-name'];
if (!nodeName) {
  process.stderr.write(`virt-handler: --node-name is required\n\n${USAGE}`);
  process.exit(2);
}
const log = jsonLogger({ component: 'virt-handler', node: nodeName }, { level });
let api: HttpKubeApi;
try {
  api = new HttpKubeApi(loadKubeConfig(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}), { userAgent: `virt-handler/${nodeName}` });
} catch (e) {
  if (!(e instanceof KubeConfigError)) throw e;
  process.stderr.write(`virt-handler: ${e.message}\n`);
  process.exit(2);
}
const kubeletRootDir = values['kubelet-root-dir'];
const endpointPort = Number(values['endpoint-port']);
if (!Number.isInteger(endpointPort) || endpointPort < 0 || endpointPort > 65535) {
  process.stderr.write(`virt-handler: --endpoint-port must be a port number (0 for none), not ${values['endpoint-port']}\n`);
  process.exit(2);
}
// The endpoint's certificate, as the api's leader issues and rotates it (contract §2).
const handlerCerts = endpointPort > 0 ? watchTlsSecret(api, values.namespace, HANDLER_SECRET, log) : undefined;

const stop = new AbortController();
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    log.info('stopping: VMs keep running in their launcher pods', { signal: sig });
    stop.abort();
  });
}

try {
  await runNodeHandler(
    {
      api,
      nodeName,
      kubeletRootDir,
      stateDir: values['state-dir'],
      network: new NodePodNetwork({ log }),
      startDevicePlugins: async (kvmUsable) => (await startNodeDevicePlugins({ kubeletRootDir, kvmUsable, log })).stop,
      log,
      ...(handlerCerts ? { endpoint: { tls: handlerCerts, port: endpointPort } } : {}),
    },
    stop.signal,
  );
  process.exitCode = 0;
} catch (err) {
  const e = err as Error & { hint?: string };
  log.error('virt-handler failed', { error: e.message, hint: e.hint });
  process.exitCode = 1;
}
await handlerCerts?.stop().catch(() => undefined);
process.exit(process.exitCode);
