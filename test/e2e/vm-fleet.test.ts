// stack-examples/vm-fleet on the installed stack: `pulumi up` runs N VMs from one loop with a Service in
// front, their IPs as an output; a preview then changes nothing; `pulumi destroy` leaves nothing of it.
import { rmSync } from 'node:fs';
import { kubeconfigPath } from '../cluster/paths.js';
import { ensureStack, STACK_SETUP_TIMEOUT_MS } from '../cluster/stack.js';
import { ensureToolchain, kubectl, kubectlOk } from '../cluster/testing.js';
import { pulumiOk, runPulumi } from './pulumi-cli.js';
import { KUBERNETES_PROVIDER_PRODUCT, scratchProject } from './pulumi-project.js';
import { resourceSummary } from './pulumi-summary.js';

const NS = `fleet-e2e-${Date.now().toString(36)}`;
let project = '';
const opts = () => ({ passphrase: 'virtstack-fleet', env: { KUBECONFIG: kubeconfigPath() }, timeoutMs: 600_000 });
const ok = (args: string[]) => pulumiOk(project, args, opts());

beforeAll(async () => {
  await ensureToolchain(['pulumi', KUBERNETES_PROVIDER_PRODUCT]);
  await ensureStack();
  project = scratchProject('virtstack-fleet', 'dist/stack-examples/vm-fleet/index.js', opts().passphrase, opts().env);
  ok(['config', 'set', 'virtstack:fleetSize', '2']);
  ok(['config', 'set', 'virtstack:namespace', NS]);
}, STACK_SETUP_TIMEOUT_MS);

afterAll(() => {
  if (!project) return;
  runPulumi(project, ['destroy', '--yes', '--skip-preview'], opts());
  kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait=true'], undefined, 300_000);
  rmSync(project, { recursive: true, force: true });
});

test('pulumi up runs every VM of the loop and a Service in front of them, with their IPs as an output', () => {
  ok(['up', '--yes', '--skip-preview']);
  const ips = JSON.parse(ok(['stack', 'output', 'ips', '--json'])) as string[];
  expect(ips).toHaveLength(2);
  for (const ip of ips) expect(ip).toMatch(/^10\.214\.[12]\.\d+$/);
  const phases = kubectlOk(['-n', NS, 'get', 'vmi', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.phase} {.status.interfaces[0].ipAddress}{"\\n"}{end}']).trim().split('\n').sort();
  expect(phases).toEqual([`fleet-0=Running ${ips[0]}`, `fleet-1=Running ${ips[1]}`]);
  // the Service selects the launcher pods by the template's label
  const endpoints = kubectlOk(['-n', NS, 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=fleet', '-o', 'jsonpath={.items[*].endpoints[*].addresses[*]}']).trim().split(' ').sort();
  expect(endpoints).toEqual([...ips].sort());
}, 600_000);

test('pulumi preview then shows no changes', () => {
  expect(Object.keys(resourceSummary(ok(['preview', '--expect-no-changes'])))).toEqual(['unchanged']);
}, 300_000);

test('pulumi destroy removes the VMs, their launcher pods, the Service and the namespace', () => {
  const out = ok(['destroy', '--yes', '--skip-preview']);
  // the stack, 2 components, 2 VMs, the Service and the namespace
  expect(resourceSummary(out).deleted).toBe(7);
  expect(kubectl(['get', 'namespace', NS]).code).not.toBe(0);
  expect(kubectl(['get', 'pods', '-A', '-l', 'kubevirt.io=virt-launcher,app=fleet', '-o', 'name']).stdout.trim()).toBe('');
}, 600_000);
