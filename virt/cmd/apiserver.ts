// virt-api entry: reads flags and environment, waits for its serving certificate, and runs the one HTTPS
// server (admission webhooks + the subresource API). While this replica holds the `virt-api` Lease it also
// issues and rotates the stack's certificates. SIGTERM/SIGINT: not ready at once, keep answering for the
// drain delay (the kube-apiserver learns the endpoint is gone), then close and exit 0. Exit 2 on bad flags,
// 1 on any other fatal error.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { stackUsernames } from '../apiserver/admission/admit.js';
import { MUTATING_CONFIGURATION, VALIDATING_CONFIGURATION } from '../apiserver/admission/webhooks.js';
import { parseDuration } from '../apiserver/durations.js';
import { ApiServer } from '../apiserver/server.js';
import { createSubresourceApi } from '../apiserver/subresources/index.js';
import { CertManager } from '../certs/cert-manager.js';
import { API_CLIENT_SECRET, API_SERVING_SECRET } from '../certs/stack-certificates.js';
import { watchTlsSecret } from '../certs/tls-secret.js';
import { API_LEASE, API_NAME, API_PORT, stackServiceAccounts, SUBRESOURCE_API_SERVICE } from '../install/apiserver-manifests.js';
import { HttpKubeApi } from '../kube/http-api.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { LeaderElector } from '../kube/leader-election.js';
import { sleep } from '../kube/sleep.js';
import { jsonLogger, LOG_LEVELS, type LogLevel } from '../logger/logger.js';

const USAGE = `usage: node dist/virt/cmd/apiserver.js --namespace NS [options]

  --namespace NS          the stack's namespace: its Secrets, Lease and service accounts (default: $POD_NAMESPACE)
  --port N                HTTPS port of the webhooks and the subresource API (default ${API_PORT})
  --cert-lifetime D       lifetime of the leaf certificates the leader issues, e.g. 24h, 10m (default 24h);
                          each is re-issued two thirds into its lifetime
  --ca-lifetime D         lifetime of the CA (default the larger of 30d and ten leaf lifetimes)
  --drain-delay D         after SIGTERM, how long to keep answering while unready (default 5s)
  --log-level LEVEL       debug, info, warn, error (default info)
  --identity NAME         this replica's name in the Lease (default: $POD_NAME, else the host name)
  --kubeconfig FILE       out of cluster only; in a pod the service account is used
  -h, --help              this text
`;

function fail(message: string, code: number): never {
  process.stderr.write(`virt-api: ${message}\n`);
  process.exit(code);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      namespace: { type: 'string' },
      port: { type: 'string' },
      'cert-lifetime': { type: 'string' },
      'ca-lifetime': { type: 'string' },
      'drain-delay': { type: 'string' },
      'log-level': { type: 'string' },
      identity: { type: 'string' },
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

const namespace = values.namespace ?? process.env.POD_NAMESPACE;
if (!namespace) fail(`--namespace is required (or $POD_NAMESPACE)\n\n${USAGE}`, 2);
const port = Number(values.port ?? API_PORT);
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port: "${values.port}" is not a port number (1-65535)`, 2);
const duration = (flag: string, text: string | undefined, dflt: number): number => {
  if (text === undefined) return dflt;
  const ms = parseDuration(text);
  if (ms === undefined) fail(`--${flag}: "${text}" is not a duration; use e.g. 90s, 10m, 24h, 7d`, 2);
  return ms;
};
const leafLifetimeMs = duration('cert-lifetime', values['cert-lifetime'], 24 * 3_600_000);
const caLifetimeMs = duration('ca-lifetime', values['ca-lifetime'], Math.max(30 * 86_400_000, 10 * leafLifetimeMs));
if (caLifetimeMs < 3 * leafLifetimeMs) fail(`--ca-lifetime must be at least three --cert-lifetime (${3 * leafLifetimeMs / 1000} s), so the CA outlives the leaves it signs`, 2);
const drainMs = values['drain-delay'] === '0' ? 0 : duration('drain-delay', values['drain-delay'], 5_000);
const level = values['log-level'] ?? 'info';
if (!(LOG_LEVELS as readonly string[]).includes(level)) fail(`--log-level: "${level}" is not one of ${LOG_LEVELS.join(', ')}`, 2);
const identity = values.identity ?? process.env.POD_NAME ?? hostname();

const log = jsonLogger({ component: API_NAME, identity }, { level: level as LogLevel });
const stop = new AbortController();
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => stop.abort(sig));

try {
  const api = new HttpKubeApi(loadKubeConfig(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}), { userAgent: `${API_NAME}/${identity}` });
  const elector = new LeaderElector(api, { namespace, name: API_LEASE, identity, log });
  const certs = new CertManager({
    api, namespace, log, leafLifetimeMs, caLifetimeMs,
    targets: { mutatingWebhookConfigurations: [MUTATING_CONFIGURATION], validatingWebhookConfigurations: [VALIDATING_CONFIGURATION], apiServices: [SUBRESOURCE_API_SERVICE] },
  });
  log.info('starting', { namespace, port, leafLifetimeSeconds: leafLifetimeMs / 1000, caLifetimeSeconds: caLifetimeMs / 1000 });
  const electing = elector.run((leading) => certs.run(leading), stop.signal);
  const serving = watchTlsSecret(api, namespace, API_SERVING_SECRET, log);
  const client = watchTlsSecret(api, namespace, API_CLIENT_SECRET, log);
  log.info('waiting for the serving certificate', { secret: `${namespace}/${API_SERVING_SECRET}` });
  const tls = await serving.ready(stop.signal).catch((e: unknown) => (stop.signal.aborted ? undefined : Promise.reject(e)));
  if (tls) {
    const subresources = createSubresourceApi({ api, log, namespace, handlerClientTls: () => client.current() });
    const server = new ApiServer({ port, tls, log, subresources, policy: { stackUsers: stackUsernames(namespace, stackServiceAccounts()) } });
    serving.onChange((m) => server.setTls(m));
    await server.listen();
    log.info('serving', { port });
    await new Promise<void>((resolve) => (stop.signal.aborted ? resolve() : stop.signal.addEventListener('abort', () => resolve(), { once: true })));
    log.info('stopping: unready, still answering for the drain delay', { signal: String(stop.signal.reason), drainMs });
    server.drain();
    await sleep(drainMs);
    await server.close();
    await subresources.close();
  }
  await Promise.all([electing, serving.stop(), client.stop()]);
  log.info('stopped');
  process.exit(0);
} catch (e) {
  const err = e as Error;
  log.error('fatal', { error: err, ...(err.cause !== undefined ? { cause: String(err.cause) } : {}) });
  process.exit(1);
}
