// virtctl start, stop, restart, pause, unpause on the cluster, through the aggregated subresource API, the
// handler's mutual-TLS endpoint and the launcher: each changes the VM's state and printableStatus as
// upstream's; a VM that does not exist and a user without the right get one line and exit 1.
import { waitFor } from './exec.js';
import { getVmi, stackNamespace, vmManifest, waitVmiPhase } from './stack.js';
import { kubectlOk as ok } from './testing.js';
import { serviceAccountKubeconfig, virtctl } from './virtctl-support.js';

const ns = stackNamespace('virtctl-life');

const printable = () => ok(['-n', ns.name, 'get', 'vm', 'life', '-o', 'jsonpath={.status.printableStatus}']).trim();
const waitPrintable = (status: string, timeoutMs = 300_000) => waitFor(`printableStatus ${status}`, timeoutMs, () => (printable() === status ? status : undefined), 500);
const pausedCondition = async () => (await getVmi(ns.name, 'life'))?.status?.conditions?.find((c) => c.type === 'Paused');

/** One line on stderr, nothing on stdout, exit 1. */
function expectOneLineFailure(r: { code: number; stdout: string; stderr: string }, command: string, text: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(new RegExp(`^virtctl ${command}: `));
  expect(r.stderr).toMatch(text);
}

test('start, pause, unpause, restart and stop move the VM through Running, Paused, Running, Stopped', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'life', 'Halted'));
  await waitPrintable('Stopped', 60_000);

  let r = virtctl(['start', 'life', '-n', ns.name]);
  expect(r).toEqual({ code: 0, stdout: 'VM life was scheduled to start\n', stderr: '' });
  const first = await waitVmiPhase(ns.name, 'life', 'Running', 300_000);
  await waitPrintable('Running');

  r = virtctl(['pause', 'vm', 'life', '-n', ns.name]);
  expect(r).toEqual({ code: 0, stdout: 'VMI life was scheduled to pause\n', stderr: '' });
  await waitFor('the VMI\'s Paused condition', 60_000, async () => ((await pausedCondition())?.status === 'True' ? true : undefined));
  expect(await pausedCondition()).toMatchObject({ type: 'Paused', status: 'True', reason: 'PausedByUser' });
  await waitPrintable('Paused', 60_000);
  expect(ok(['-n', ns.name, 'get', 'vm', 'life', '-o', 'jsonpath={.status.conditions[?(@.type=="Paused")].reason}'])).toBe('PausedByUser');
  expectOneLineFailure(virtctl(['pause', 'vmi', 'life', '-n', ns.name]), 'pause', /already paused/);

  r = virtctl(['unpause', 'vmi', 'life', '-n', ns.name]);
  expect(r).toEqual({ code: 0, stdout: 'VMI life was scheduled to unpause\n', stderr: '' });
  await waitFor('the Paused condition to go', 60_000, async () => ((await pausedCondition()) ? undefined : true));
  await waitPrintable('Running', 60_000);
  expectOneLineFailure(virtctl(['unpause', 'vm', 'life', '-n', ns.name]), 'unpause', /not paused/);

  r = virtctl(['restart', 'life', '-n', ns.name]);
  expect(r).toEqual({ code: 0, stdout: 'VM life was scheduled to restart\n', stderr: '' });
  await waitFor('a new VMI, running', 300_000, async () => {
    const v = await getVmi(ns.name, 'life');
    return v && v.metadata.uid !== first.metadata.uid && v.status?.phase === 'Running' ? v : undefined;
  });
  await waitPrintable('Running');

  r = virtctl(['stop', 'life', '-n', ns.name]);
  expect(r).toEqual({ code: 0, stdout: 'VM life was scheduled to stop\n', stderr: '' });
  await waitPrintable('Stopped');
  expect(ok(['-n', ns.name, 'get', 'vm', 'life', '-o', 'jsonpath={.spec.runStrategy}'])).toBe('Halted');
  expectOneLineFailure(virtctl(['pause', 'vm', 'life', '-n', ns.name]), 'pause', /not running|not found/i);
}, 1_200_000);

test('a VM that does not exist is one line naming it, exit 1', () => {
  expectOneLineFailure(virtctl(['start', 'nosuchvm', '-n', ns.name]), 'start', /"nosuchvm" not found/);
  expectOneLineFailure(virtctl(['stop', 'nosuchvm', '-n', ns.name]), 'stop', /"nosuchvm" not found/);
  expectOneLineFailure(virtctl(['pause', 'vm', 'nosuchvm', '-n', ns.name]), 'pause', /^virtctl pause: VirtualMachine .*\/nosuchvm not found\n$/);
  expectOneLineFailure(virtctl(['console', 'nosuchvm', '-n', ns.name, '--timeout=0']), 'console', /"nosuchvm" not found/);
});

test('a user with only the view role gets the API server\'s forbidden line, exit 1, and nothing changes', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'guarded', 'Halted'));
  const viewer = serviceAccountKubeconfig(ns.name, 'viewer', 'view');
  expectOneLineFailure(virtctl(['start', 'guarded'], viewer), 'start', /forbidden: User "system:serviceaccount:[^"]+:viewer" cannot update resource "virtualmachines\/start"/);
  expectOneLineFailure(virtctl(['console', 'guarded', '--timeout=0'], viewer), 'console', /forbidden: User "system:serviceaccount:[^"]+:viewer" cannot get resource "virtualmachineinstances\/console"/);
  expectOneLineFailure(virtctl(['vnc', 'guarded', '--proxy-only'], viewer), 'vnc', /forbidden/);
  expect(ok(['-n', ns.name, 'get', 'vm', 'guarded', '-o', 'jsonpath={.spec.runStrategy}'])).toBe('Halted');
}, 120_000);
