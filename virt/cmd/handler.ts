// virt-handler entry: the node daemon (DaemonSet, privileged, hostPID). Reads flags, builds its
// dependencies, runs until SIGTERM. VMs keep running when it stops: they live in their own pods.
import { HANDLER_SECRET } from '../certs/stack-certificates.js';
import { watchTlsSecret } from '../certs/tls-secret.js';
import { connectKubeApi, parseFlags, stopOnSignals, usageError } from '../entrypoint/bootstrap.js';
import { startNodeDevicePlugins } from '../handler/device-plugin/index.js';
import { HANDLER_ENDPOINT_PORT } from '../handler/endpoint/index.js';
import { runNodeHandler } from '../handler/node-handler.js';
import { NodePodNetwork } from '../handler/network/node-pod-network.js';
import { jsonLogger, LOG_LEVELS, type LogLevel } from '../logger/logger.js';

const USAGE = `usage: node dist/virt/cmd/handler.js --node-name NAME [options]

  --node-name NAME         this node (the DaemonSet passes spec.nodeName)
  --kubelet-root-dir DIR   the kubelet's root directory, mounted at the same path (default /var/lib/kubelet)
  --state-dir DIR          node-level state such as the KVM probe's verdict (default /var/lib/virtstack/node/handler)
  --namespace NAME         the stack's namespace (default virtstack)
  --endpoint-port PORT     the mutual-TLS endpoint for the api: pause, console, vnc (default 8186; 0: none)
  --log-level LEVEL        debug, info, warn, error (default info)
  --kubeconfig FILE        out of cluster only; in a pod the service account is used
  -h, --help               this text
`;

const PROGRAM = 'virt-handler';
const values = parseFlags(PROGRAM, USAGE, {
  'node-name': { type: 'string' },
  'kubelet-root-dir': { type: 'string', default: '/var/lib/kubelet' },
  'state-dir': { type: 'string', default: '/var/lib/virtstack/node/handler' },
  namespace: { type: 'string', default: 'virtstack' },
  'endpoint-port': { type: 'string', default: String(HANDLER_ENDPOINT_PORT) },
  'log-level': { type: 'string', default: 'info' },
  kubeconfig: { type: 'string' },
});
const level = values['log-level'] as LogLevel;
if (!LOG_LEVELS.includes(level)) usageError(PROGRAM, `--log-level must be debug, info, warn or error, not ${level}`);
const nodeName = values['node-name'];
if (!nodeName) usageError(PROGRAM, '--node-name is required', USAGE);
const log = jsonLogger({ component: PROGRAM, node: nodeName }, { level });
const api = connectKubeApi(PROGRAM, values.kubeconfig, `${PROGRAM}/${nodeName}`);
const kubeletRootDir = values['kubelet-root-dir'];
const endpointPort = Number(values['endpoint-port']);
if (!Number.isInteger(endpointPort) || endpointPort < 0 || endpointPort > 65535) {
  usageError(PROGRAM, `--endpoint-port must be a port number (0 for none), not ${values['endpoint-port']}`);
}
// The endpoint's certificate, as the api's leader issues and rotates it (contract §2).
const handlerCerts = endpointPort > 0 ? watchTlsSecret(api, values.namespace, HANDLER_SECRET, log) : undefined;

const stopping = stopOnSignals((sig) => log.info('stopping: VMs keep running in their launcher pods', { signal: sig }));

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
    stopping,
  );
  process.exitCode = 0;
} catch (err) {
  const e = err as Error & { hint?: string };
  log.error('virt-handler failed', { error: e.message, hint: e.hint });
  process.exitCode = 1;
}
await handlerCerts?.stop().catch(() => undefined);
process.exit(process.exitCode);
