// virt-api entry: reads flags and environment, waits for its serving certificate, and runs the one HTTPS
// server (admission webhooks + the subresource API). While this replica holds the `virt-api` Lease it also
// issues and rotates the stack's certificates. SIGTERM/SIGINT: not ready at once, keep answering for the
// drain delay (the kube-apiserver learns the endpoint is gone), then close and exit 0. Exit 2 on bad flags,
// 1 on any other fatal error.
import { hostname } from 'node:os';
import { stackUsernames } from '../apiserver/admission/admit.js';
import { MUTATING_CONFIGURATION, VALIDATING_CONFIGURATION } from '../apiserver/admission/webhooks.js';
import { parseDuration } from '../apiserver/durations.js';
import { ApiServer } from '../apiserver/server.js';
import { VIRTSTACK_DEFAULTS, type ClusterDefaults } from '../api/defaults/index.js';
import { launcherEvictionCheck } from '../apiserver/admission/eviction-admission.js';
import { migrationCreateCheck } from '../apiserver/admission/migration-admission.js';
import { sarCloneSourceAuthorizer } from '../apiserver/admission/clone-authorization-sar.js';
import { createSubresourceApi } from '../apiserver/subresources/index.js';
import { CertManager } from '../certs/cert-manager.js';
import { API_CLIENT_SECRET, API_SERVING_SECRET } from '../certs/stack-certificates.js';
import { watchTlsSecret } from '../certs/tls-secret.js';
import { connectKubeApi, exitFatal, parseFlags, stopOnSignals, usageError } from '../entrypoint/bootstrap.js';
import { API_LEASE, API_NAME, API_PORT, stackServiceAccounts, SUBRESOURCE_API_SERVICE } from '../install/apiserver-manifests.js';
import { LeaderElector } from '../kube/leader-election.js';
import { sleep } from '../kube/sleep.js';
import { jsonLogger, LOG_LEVELS, type LogLevel } from '../logger/logger.js';

const USAGE = `usage: node dist/virt/cmd/apiserver.js --namespace NS [options]

  --namespace NS          the stack's namespace: its Secrets, Lease and service accounts (default: $POD_NAMESPACE)
  --port N                HTTPS port of the webhooks and the subresource API (default ${API_PORT})
  --cert-lifetime D       lifetime of the leaf certificates the leader issues, e.g. 24h, 10m (default 24h);
                          each is re-issued two thirds into its lifetime
  --ca-lifetime D         lifetime of the CA (default the larger of 30d and ten leaf lifetimes)
  --drain-delay D         after SIGTERM, how long to keep answering while unready (default 10s)
  --log-level LEVEL       debug, info, warn, error (default info)
  --eviction-strategy S   the cluster's default evictionStrategy of new VMs and VMIs: LiveMigrate or None
                          (upstream's spec.configuration.evictionStrategy; default: unset, as upstream)
  --identity NAME         this replica's name in the Lease (default: $POD_NAME, else the host name)
  --kubeconfig FILE       out of cluster only; in a pod the service account is used
  -h, --help              this text
`;

const values = parseFlags(API_NAME, USAGE, {
  namespace: { type: 'string' },
  port: { type: 'string' },
  'cert-lifetime': { type: 'string' },
  'ca-lifetime': { type: 'string' },
  'drain-delay': { type: 'string' },
  'log-level': { type: 'string' },
  'eviction-strategy': { type: 'string' },
  identity: { type: 'string' },
  kubeconfig: { type: 'string' },
});

const namespace = values.namespace ?? process.env.POD_NAMESPACE;
if (!namespace) usageError(API_NAME, '--namespace is required (or $POD_NAMESPACE)', USAGE);
const port = Number(values.port ?? API_PORT);
if (!Number.isInteger(port) || port < 1 || port > 65535) usageError(API_NAME, `--port: "${values.port}" is not a port number (1-65535)`);
const duration = (flag: string, text: string | undefined, dflt: number): number => {
  if (text === undefined) return dflt;
  const ms = parseDuration(text);
  if (ms === undefined) usageError(API_NAME, `--${flag}: "${text}" is not a duration; use e.g. 90s, 10m, 24h, 7d`);
  return ms;
};
const leafLifetimeMs = duration('cert-lifetime', values['cert-lifetime'], 24 * 3_600_000);
const caLifetimeMs = duration('ca-lifetime', values['ca-lifetime'], Math.max(30 * 86_400_000, 10 * leafLifetimeMs));
if (caLifetimeMs < 3 * leafLifetimeMs) usageError(API_NAME, `--ca-lifetime must be at least three --cert-lifetime (${3 * leafLifetimeMs / 1000} s), so the CA outlives the leaves it signs`);
const drainMs = values['drain-delay'] === '0' ? 0 : duration('drain-delay', values['drain-delay'], 10_000);
const level = values['log-level'] ?? 'info';
if (!(LOG_LEVELS as readonly string[]).includes(level)) usageError(API_NAME, `--log-level: "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
const identity = values.identity ?? process.env.POD_NAME ?? hostname();
const evictionStrategy = values['eviction-strategy'];
if (evictionStrategy !== undefined && evictionStrategy !== 'LiveMigrate' && evictionStrategy !== 'None') usageError(API_NAME, `--eviction-strategy: "${evictionStrategy}" is not LiveMigrate or None`);
const cluster: ClusterDefaults = { ...VIRTSTACK_DEFAULTS, ...(evictionStrategy === 'LiveMigrate' || evictionStrategy === 'None' ? { evictionStrategy } : {}) };

const log = jsonLogger({ component: API_NAME, identity }, { level: level as LogLevel });
let received: NodeJS.Signals | undefined;
const stopping = stopOnSignals((sig) => (received = sig));

const api = connectKubeApi(API_NAME, values.kubeconfig, `${API_NAME}/${identity}`);
try {
  const elector = new LeaderElector(api, { namespace, name: API_LEASE, identity, log });
  const certs = new CertManager({
    api, namespace, log, leafLifetimeMs, caLifetimeMs,
    targets: { mutatingWebhookConfigurations: [MUTATING_CONFIGURATION], validatingWebhookConfigurations: [VALIDATING_CONFIGURATION], apiServices: [SUBRESOURCE_API_SERVICE] },
  });
  log.info('starting', { namespace, port, leafLifetimeSeconds: leafLifetimeMs / 1000, caLifetimeSeconds: caLifetimeMs / 1000 });
  const electing = elector.run((leading) => certs.run(leading), stopping);
  const serving = watchTlsSecret(api, namespace, API_SERVING_SECRET, log);
  const client = watchTlsSecret(api, namespace, API_CLIENT_SECRET, log);
  log.info('waiting for the serving certificate', { secret: `${namespace}/${API_SERVING_SECRET}` });
  const tls = await serving.ready(stopping).catch((e: unknown) => (stopping.aborted ? undefined : Promise.reject(e)));
  if (tls) {
    const subresources = createSubresourceApi({ api, log, namespace, handlerClientTls: () => client.current() });
    const server = new ApiServer({ port, tls, log, subresources, policy: { stackUsers: stackUsernames(namespace, stackServiceAccounts()), cluster }, clusterChecks: [migrationCreateCheck(api), launcherEvictionCheck(api)], authorizeClone: sarCloneSourceAuthorizer(api) });
    serving.onChange((m) => server.setTls(m));
    await server.listen();
    log.info('serving', { port });
    await new Promise<void>((resolve) => (stopping.aborted ? resolve() : stopping.addEventListener('abort', () => resolve(), { once: true })));
    log.info('stopping: unready, still answering for the drain delay', { signal: received, drainMs });
    server.drain();
    await sleep(drainMs);
    await server.close();
    await subresources.close();
  }
  await Promise.all([electing, serving.stop(), client.stop()]);
  log.info('stopped');
  process.exit(0);
} catch (e) {
  exitFatal(log, e);
}
