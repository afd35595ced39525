// `npm run stack:up` / `stack:down` / `stack:render`: installs the stack on the cluster KUBECONFIG points
// at (as kubectl finds it), removes it, or prints its manifests as YAML for GitOps.
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { InstallError, install, uninstall } from '../install/apply.js';
import { InstallOptionsError, resolveInstallOptions, type InstallOptions } from '../install/install-options.js';
import { installManifests } from '../install/manifests.js';
import { ApiError } from '../kube/api.js';
import { HttpKubeApi } from '../kube/http-api.js';
import { KubeConfigError, loadKubeConfig } from '../kube/kubeconfig.js';

const USAGE = `usage: node dist/virt/cmd/install.js <up|down|render> [options]

  up       apply the stack (namespace, CRDs, RBAC, controller, handler, api with its webhooks and APIService) and wait until it works:
           CRDs Established, workloads rolled out, every node labelled by its handler
  down     delete every VM and VMI, wait for their launcher pods, then remove the stack and its node labels
  render   print the manifests as multi-document YAML (nothing is sent)

options:
  --namespace NAME         the stack's namespace (default virtstack)
  --image-prefix PREFIX    image reference prefix (default localhost/virtstack/, the locally built images)
  --image-tag TAG          (default dev)
  --image-revision TOKEN   stamped on the pod templates: a new value rolls the workloads (e.g. the content
                           hash of locally rebuilt :dev images; npm run images prints it)
  --emulation MODE         auto (KVM where usable, else TCG), on (always TCG), off (KVM only) (default auto)
  --kubelet-root-dir DIR   the kubelets' root directory on the nodes (default /var/lib/kubelet)
  --replicas N             controller replicas (default 2)
  --log-level LEVEL        debug, info, warn, error (default info)
  --kubeconfig FILE        instead of KUBECONFIG / ~/.kube/config
  --timeout SECONDS        how long up/down wait (default 300)
`;

function fail(message: string, code = 1): never {
  process.stderr.write(`stack: ${message}\n`);
  process.exit(code);
}

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      namespace: { type: 'string' },
      'image-prefix': { type: 'string' },
      'image-tag': { type: 'string' },
      'image-revision': { type: 'string' },
      emulation: { type: 'string' },
      'kubelet-root-dir': { type: 'string' },
      replicas: { type: 'string' },
      'log-level': { type: 'string' },
      kubeconfig: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
try {
  parsed = parse();
} catch (e) {
  fail(`${(e as Error).message}\n\n${USAGE}`, 2);
}
const { values, positionals } = parsed;
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const cmd = positionals[0];
if (!cmd || !['up', 'down', 'render'].includes(cmd) || positionals.length > 1) fail(`expected one of up, down, render\n\n${USAGE}`, 2);

const options: InstallOptions = {
  ...(values.namespace ? { namespace: values.namespace } : {}),
  ...(values['image-prefix'] ? { imagePrefix: values['image-prefix'] } : {}),
  ...(values['image-tag'] ? { imageTag: values['image-tag'] } : {}),
  ...(values['image-revision'] ? { imageRevision: values['image-revision'] } : {}),
  ...(values.emulation ? { emulation: values.emulation as InstallOptions['emulation'] } : {}),
  ...(values['kubelet-root-dir'] ? { kubeletRootDir: values['kubelet-root-dir'] } : {}),
  ...(values.replicas ? { controllerReplicas: Number(values.replicas) } : {}),
  ...(values['log-level'] ? { logLevel: values['log-level'] as InstallOptions['logLevel'] } : {}),
};
const timeoutMs = values.timeout ? Number(values.timeout) * 1000 : 300_000;
if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) fail(`--timeout must be a positive number of seconds, not ${values.timeout}`, 2);
const progress = (line: string): void => void process.stderr.write(`stack: ${line}\n`);

try {
  // Wrong options are the user's to fix before anything is sent or a cluster is looked for.
  resolveInstallOptions(options);
  if (cmd === 'render') {
    process.stdout.write(installManifests(options).map((o) => stringify(o)).join('---\n'));
  } else {
    const api = new HttpKubeApi(loadKubeConfig(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}), { userAgent: 'virtstack-install' });
    if (cmd === 'up') {
      const { nodes } = await install(api, options, progress, timeoutMs);
      progress(`installed; nodes: ${nodes.map((n) => `${n.name} (${n.accelerator})`).join(', ')}`);
    } else {
      await uninstall(api, options, progress, timeoutMs);
      progress('removed');
    }
  }
} catch (e) {
  if (e instanceof InstallError) fail(`${e.message} (${e.hint})`);
  if (e instanceof InstallOptionsError) fail(e.message, 2);
  if (e instanceof ApiError) fail(`${e.request.method} ${e.request.path}: ${e.message}`);
  if (e instanceof KubeConfigError) fail(e.message);
  throw e;
}
