// The Pulumi components on the local cluster with the real CLI, a local file backend of this file's own and
// the e2e program (test/e2e/pulumi-components/program.ts: the root program's KubeVirtInstall and VM plus
// VMs switched on by config). KubeVirtInstall takes over the shared stack (the same objects stack:up
// applies, so nothing restarts); the tests that make the stack unusable for a moment (a fake upstream
// KubeVirt; the destroy, last, followed by a fresh install with pulumi up) hold the stack lock so other
// tests' ensureStack() waits for them.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { kubeconfigPath, NODE_PRIVATE_PATHS, nodeDir, NODES } from '../cluster/paths.js';
import { ensureStack, STACK_SETUP_TIMEOUT_MS } from '../cluster/stack.js';
import { ensureToolchain, kubectl, kubectlOk, runNode } from '../cluster/testing.js';
import { pulumiOk, runPulumi } from './pulumi-cli.js';
import { KUBERNETES_PROVIDER_PRODUCT, scratchProject } from './pulumi-project.js';
import { resourceSummary } from './pulumi-summary.js';
import { holdStackLock } from './stack-lock.js';

const VM_NS = `pulumi-e2e-${Date.now().toString(36)}`;
const KUBECTL_NS = `${VM_NS}-kubectl`;
let project = '';

const opts = () => ({ passphrase: 'virtstack-components', env: { KUBECONFIG: kubeconfigPath() }, timeoutMs: 600_000 });
const pulumi = (args: string[]) => runPulumi(project, args, opts());
const ok = (args: string[]) => pulumiOk(project, args, opts());
const output = (name: string): unknown => JSON.parse(ok(['stack', 'output', name, '--json']));

beforeAll(async () => {
  await ensureToolchain(['pulumi', KUBERNETES_PROVIDER_PRODUCT]);
  // The images of the current tree on the nodes and the stack installed: what the install will adopt.
  await ensureStack();
  project = scratchProject('virtstack-components', 'dist/test/e2e/pulumi-components/program.js', opts().passphrase, opts().env);
  ok(['config', 'set', 'virtstack:vmNamespace', VM_NS]);
  ok(['config', 'set', 'virtstack:vmName', 'e2e']);
}, STACK_SETUP_TIMEOUT_MS);

afterAll(() => {
  if (!project) return;
  // The stack stays installed for the tests after this file (the last test installs it again); only the
  // state is forgotten, and what is this file's own removed.
  kubectl(['delete', 'namespace', VM_NS, KUBECTL_NS, '--ignore-not-found', '--wait=true'], undefined, 300_000);
  rmSync(project, { recursive: true, force: true });
});

test('refuses to install over an upstream KubeVirt, naming the object and the fix, before anything is sent', async () => {
  const release = await holdStackLock();
  try {
    kubectlOk(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'kubevirts.kubevirt.io' },
      spec: { group: 'kubevirt.io', names: { kind: 'KubeVirt', plural: 'kubevirts', singular: 'kubevirt' }, scope: 'Namespaced', versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    }));
    const r = pulumi(['up', '--yes', '--skip-preview']);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/KubeVirtInstall virtstack: this cluster runs upstream KubeVirt \(crd\/kubevirts\.kubevirt\.io exists\); virtstack will not install over it \(uninstall KubeVirt first, or use another cluster\)/);
    // Nothing of the stack was created (the namespace waits for the check, everything else for the namespace).
    const state = JSON.parse(ok(['stack', 'export'])) as { deployment: { resources?: { type: string }[] } };
    expect((state.deployment.resources ?? []).filter((x) => x.type.startsWith('kubernetes:apps') || x.type.includes('CustomResourceDefinition'))).toEqual([]);
  } finally {
    kubectl(['delete', 'crd', 'kubevirts.kubevirt.io', '--ignore-not-found', '--wait=true'], undefined, 120_000);
    release();
  }
}, 600_000);

test('pulumi up installs the stack with KubeVirtInstall and runs a VirtualMachine', () => {
  ok(['up', '--yes', '--skip-preview']);
  expect(output('stackNamespace')).toBe('virtstack');
  expect(output('nodes')).toEqual([expect.objectContaining({ name: 'node-1', accelerator: expect.stringMatching(/^(kvm|tcg)$/) }), expect.objectContaining({ name: 'node-2' })]);
  expect(output('vmStatus')).toBe('Running');
  expect(output('vmReady')).toBe(true);
  // what the component says is what kubectl sees
  const vmi = kubectlOk(['-n', VM_NS, 'get', 'vmi', 'e2e', '-o', 'jsonpath={.status.phase} {.status.nodeName} {.status.interfaces[0].ipAddress}']).trim().split(' ');
  expect(vmi).toEqual(['Running', output('vmNode'), output('vmIp')]);
  expect(output('vmiName')).toBe('e2e');
  const managers = kubectlOk(['-n', 'virtstack', 'get', 'ds', 'virt-handler', '--show-managed-fields', '-o', 'jsonpath={.metadata.managedFields[*].manager}']);
  // Upstream's provider applies server-side under a field manager of its own, `pulumi-kubernetes-<hex>`.
  expect(managers.split(' ').some((m) => /^pulumi-kubernetes-[0-9a-f]+$/.test(m))).toBe(true);
  expect(kubectlOk(['-n', VM_NS, 'get', 'vm', 'e2e', '-o', 'jsonpath={.spec.runStrategy}|{.spec.running}'])).toBe('Always|');
}, 600_000);

test('pulumi preview then shows no changes', () => {
  const out = ok(['preview', '--expect-no-changes', '--diff']);
  expect(Object.keys(resourceSummary(out))).toEqual(['unchanged']);
}, 300_000);

test('a runStrategy flipped by virtctl stop shows in preview --refresh, and up --refresh puts it back and waits for Ready', async () => {
  const stop = await runNode('bin/virtctl.js', ['stop', 'e2e', '-n', VM_NS], { KUBECONFIG: kubeconfigPath() });
  expect(stop.code).toBe(0);
  expect(kubectlOk(['-n', VM_NS, 'get', 'vm', 'e2e', '-o', 'jsonpath={.spec.runStrategy}'])).toBe('Halted');
  const vmiUid = kubectlOk(['-n', VM_NS, 'get', 'vmi', 'e2e', '-o', 'jsonpath={.metadata.uid}', '--ignore-not-found']);
  // Really stopped (the controller acted on it) before Pulumi looks.
  kubectlOk(['-n', VM_NS, 'wait', '--for=delete', 'vmi/e2e', '--timeout=300s'], undefined, 330_000);
  const preview = ok(['preview', '--refresh', '--diff']);
  expect(preview).toMatch(/runStrategy\s*:\s*"Halted"\s*=>\s*"Always"/);
  const up = resourceSummary(ok(['up', '--refresh', '--yes', '--skip-preview']));
  expect(up.updated).toBeGreaterThanOrEqual(1);
  expect(up).not.toHaveProperty('replaced');
  expect(kubectlOk(['-n', VM_NS, 'get', 'vm', 'e2e', '-o', 'jsonpath={.spec.runStrategy}'])).toBe('Always');
  // the component waited: the VM runs again, in a new VMI
  expect(output('vmReady')).toBe(true);
  expect(kubectlOk(['-n', VM_NS, 'get', 'vmi', 'e2e', '-o', 'jsonpath={.status.phase}'])).toBe('Running');
  expect(kubectlOk(['-n', VM_NS, 'get', 'vmi', 'e2e', '-o', 'jsonpath={.metadata.uid}'])).not.toBe(vmiUid);
  expect(Object.keys(resourceSummary(ok(['preview', '--refresh', '--expect-no-changes'])))).toEqual(['unchanged']);
}, 900_000);

test('a VM whose Ready never comes fails the update within its timeout, quoting its conditions and events', () => {
  ok(['config', 'set', 'virtstack:stuckVm', 'true']);
  ok(['config', 'set', 'virtstack:readyTimeout', '30']);
  const r = pulumi(['up', '--yes', '--skip-preview']);
  expect(r.code).not.toBe(0);
  expect(r.out).toMatch(new RegExp(`VirtualMachine ${VM_NS}/stuck did not become Ready within 30 s \\(printableStatus ErrorUnschedulable\\)`));
  expect(r.out).toMatch(/VM conditions: .*PodScheduled=False Unschedulable: 0\/2 nodes are available: 2 node\(s\) didn't match Pod's node affinity\/selector/);
  expect(r.out).toMatch(/VMI stuck \(phase Scheduling\) conditions: .*PodScheduled=False Unschedulable/);
  expect(r.out).toMatch(/Warning events: .*Pod\/virt-launcher-stuck-\w+: FailedScheduling: /);
  // no stack trace for it
  expect(r.out).not.toMatch(/\n\s+at .*\.(ts|js):\d+/);
  ok(['config', 'rm', 'virtstack:stuckVm']);
  expect(resourceSummary(ok(['up', '--yes', '--skip-preview']))).toEqual(expect.objectContaining({ deleted: 2 }));
  expect(kubectl(['-n', VM_NS, 'get', 'vm', 'stuck']).code).not.toBe(0);
}, 600_000);

test('a VM whose image does not exist fails with ErrImagePull, and the fixed program repairs it', () => {
  ok(['config', 'set', 'virtstack:brokenImage', 'registry.invalid/virtstack/no-such-guest:1']);
  const r = pulumi(['up', '--yes', '--skip-preview']);
  expect(r.code).not.toBe(0);
  expect(r.out).toMatch(new RegExp(`VirtualMachine ${VM_NS}/img did not become Ready within 30 s`));
  expect(r.out).toMatch(/Warning events: .*Pod\/virt-launcher-img-\w+: (Failed|BackOff): .*(ErrImagePull|ImagePullBackOff|registry\.invalid)/);
  // the state holds the VM; the fixed program updates it in place (same object) and it runs
  const uid = kubectlOk(['-n', VM_NS, 'get', 'vm', 'img', '-o', 'jsonpath={.metadata.uid}']);
  ok(['config', 'set', 'virtstack:brokenImage', 'localhost/virtstack/test-guest:dev']);
  const fixed = resourceSummary(ok(['up', '--yes', '--skip-preview']));
  expect(fixed.updated).toBeGreaterThanOrEqual(1);
  expect(fixed).not.toHaveProperty('replaced');
  expect(fixed).not.toHaveProperty('deleted');
  expect(kubectlOk(['-n', VM_NS, 'get', 'vm', 'img', '-o', 'jsonpath={.metadata.uid}'])).toBe(uid);
  expect(JSON.parse(ok(['stack', 'output', 'extraVms', '--json']))).toEqual(['img=Running']);
  ok(['config', 'rm', 'virtstack:brokenImage']);
  ok(['up', '--yes', '--skip-preview']);
}, 900_000);

test('misspelt args are refused by their arg path before anything is sent', () => {
  ok(['config', 'set', 'virtstack:typoVm', 'true']);
  const r = pulumi(['up', '--yes', '--skip-preview']);
  expect(r.code).not.toBe(0);
  expect(r.out).toMatch(/VirtualMachine typo has invalid args:\s+template\.spec\.domain\.cpu\.corse: unknown field "corse"; did you mean cores\?/);
  expect(kubectl(['-n', VM_NS, 'get', 'vm', 'typo']).code).not.toBe(0);
  ok(['config', 'rm', 'virtstack:typoVm']);
}, 300_000);

test('a change that needs a restart is a RestartRequired warning, or a restart with restartOnChange', () => {
  ok(['config', 'set', 'virtstack:restartMemory', '128Mi']);
  ok(['up', '--yes', '--skip-preview']);
  const vmiUid = () => kubectlOk(['-n', VM_NS, 'get', 'vmi', 'restart', '-o', 'jsonpath={.metadata.uid}']);
  const first = vmiUid();
  ok(['config', 'set', 'virtstack:restartMemory', '160Mi']);
  const warned = ok(['up', '--yes', '--skip-preview']);
  // The stack's VM controller sets upstream's condition; the component's warning is that condition.
  expect(warned).toMatch(new RegExp(`warning: VirtualMachine ${VM_NS}/restart: RestartRequired: a non-live-updatable field was changed in the template spec; the change takes effect at the next restart`));
  expect(vmiUid()).toBe(first);
  const restartCondition = () => kubectlOk(['-n', VM_NS, 'get', 'vm', 'restart', '-o', 'jsonpath={.status.conditions[?(@.type=="RestartRequired")].status}']);
  expect(restartCondition()).toBe('True');
  ok(['config', 'set', 'virtstack:restartOnChange', 'true']);
  const restarted = ok(['up', '--yes', '--skip-preview']);
  expect(restarted).not.toMatch(/RestartRequired/);
  expect(vmiUid()).not.toBe(first);
  expect(kubectlOk(['-n', VM_NS, 'get', 'vmi', 'restart', '-o', 'jsonpath={.status.phase} {.spec.domain.memory.guest}'])).toBe('Running 160Mi');
  // made anew from the current spec: the condition is gone
  expect(restartCondition()).toBe('');
  ok(['config', 'rm', 'virtstack:restartMemory']);
  ok(['config', 'rm', 'virtstack:restartOnChange']);
  ok(['up', '--yes', '--skip-preview']);
}, 900_000);

// Last: it takes the shared stack away (holding the lock), then installs it again from nothing with
// `pulumi up` (the fresh-install path: CRDs, api, CA bundle injection, then the VM), stack:up if that fails.
test('pulumi destroy deletes every VM first, then the stack, leaving no CRD, webhook, finalizer, node label or node state; up installs it again from nothing', async () => {
  const release = await holdStackLock();
  let reinstalled = false;
  try {
    // A VM Pulumi does not know of, running: the install's drain must take it before the controller goes.
    kubectlOk(['create', 'namespace', KUBECTL_NS]);
    kubectlOk(['-n', KUBECTL_NS, 'apply', '-f', '-'], JSON.stringify({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: { name: 'outsider' },
      spec: { runStrategy: 'Always', template: { spec: { domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] } }, volumes: [{ name: 'root', containerDisk: { image: 'localhost/virtstack/test-guest:dev', imagePullPolicy: 'Never' } }] } } },
    }));
    kubectlOk(['-n', KUBECTL_NS, 'wait', '--for=condition=Ready', 'vm/outsider', '--timeout=180s'], undefined, 200_000);
    const out = ok(['destroy', '--yes', '--skip-preview']);
    expect(resourceSummary(out).deleted).toBeGreaterThan(20);
    expect(kubectl(['get', 'crd', '-l', 'app.kubernetes.io/part-of=virtstack', '-o', 'name']).stdout.trim()).toBe('');
    for (const kind of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations', 'apiservices', 'clusterroles', 'clusterrolebindings']) {
      expect(kubectl(['get', kind, '-l', 'app.kubernetes.io/part-of=virtstack', '-o', 'name']).stdout.trim()).toBe('');
    }
    expect(kubectl(['get', 'namespace', 'virtstack']).code).not.toBe(0);
    expect(kubectl(['get', 'pods', '-A', '-l', 'kubevirt.io=virt-launcher', '-o', 'name']).stdout.trim()).toBe('');
    expect(kubectlOk(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.labels}{"\\n"}{end}'])).not.toMatch(/kubevirt\.io\/schedulable|virtstack\.io\/accelerator/);
    // No node state: the handler's state folder (its KVM probe cache) is gone on every node, the folder
    // it lives in (the node's own /var/lib/virtstack/node) kept; no cleanup pod is left.
    for (const n of NODES) {
      const nodeFolder = join(nodeDir(n), 'private', NODE_PRIVATE_PATHS[1]!.slice(1).replace(/\//g, '_'));
      expect(existsSync(nodeFolder)).toBe(true);
      expect(readdirSync(nodeFolder)).not.toContain('handler');
    }
    // The namespace of the outsider goes away: nothing in it is held by a finalizer.
    kubectlOk(['delete', 'namespace', KUBECTL_NS, '--wait=true', '--timeout=60s'], undefined, 90_000);

    // From nothing: the VM is created only once the install works (admission answering), and runs.
    ok(['up', '--yes', '--skip-preview']);
    reinstalled = true;
    expect(output('vmStatus')).toBe('Running');
    expect(kubectlOk(['-n', VM_NS, 'get', 'vmi', 'e2e', '-o', 'jsonpath={.status.phase}'])).toBe('Running');
    expect(kubectl(['get', 'validatingwebhookconfigurations', '-l', 'app.kubernetes.io/part-of=virtstack', '-o', 'name']).stdout.trim()).not.toBe('');
  } finally {
    const up = reinstalled ? { code: 0, output: '' } : await runNode('dist/virt/cmd/install.js', ['up', '--timeout=600'], { KUBECONFIG: kubeconfigPath() });
    release();
    if (up.code !== 0) throw new Error(`reinstalling the shared stack (stack:up) failed:\n${up.output.slice(-3000)}`);
  }
}, 1_500_000);
