// The main job's "boot a VM, show it running" on the cluster: applies the test guest as a VirtualMachine
// (runStrategy Always) in namespace virtstack-demo, waits until its VMI runs, reads the serial marker
// through the launcher's socket, and prints where it runs. The VM stays running for the user to look at.
import { kubectlOk } from './testing.js';
import { COUNTER_PREFIX } from '../guest/init-script.js';
import { consoleUntil, GUEST_MARKER, launcherPodsOf, vmManifest, waitSerial, waitVmiPhase } from './stack.js';

const NS = 'virtstack-demo';
const NAME = 'demo';
const say = (line: string): void => void process.stderr.write(`${line}\n`);

const ok = (args: string[], input?: string): string => kubectlOk(args, input, 120_000);

async function main(): Promise<void> {
  const started = Date.now();
  ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } }));
  ok(['apply', '-f', '-'], vmManifest(NS, NAME, 'Always', { userData: '#cloud-config\nhostname: demo\nvirtstack_demo: hello from cloud-init\n' }));
  say(`applied VirtualMachine ${NS}/${NAME} (runStrategy: Always, containerDisk localhost/virtstack/test-guest:dev)`);
  const vmUid = ok(['-n', NS, 'get', 'vm', NAME, '-o', 'jsonpath={.metadata.uid}']).trim();
  const vmi = await waitVmiPhase(NS, NAME, 'Running', 300_000, vmUid);
  say(`VMI Running on ${vmi.status?.nodeName} with IP ${vmi.status?.interfaces?.[0]?.ipAddress} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const pod = (await launcherPodsOf(NS, NAME)).find((p) => p.metadata.labels?.['kubevirt.io/created-by'] === vmi.metadata.uid);
  if (!pod) throw new Error('the VMI runs but its launcher pod is not listed');
  const log = await waitSerial(pod, GUEST_MARKER);
  say(`serial log of launcher pod ${pod.metadata.name}: ${log.split('\n').find((l) => l.includes(GUEST_MARKER))?.trim()}`);
  const live = await consoleUntil(pod, COUNTER_PREFIX, 60_000);
  say(`live console through the launcher's socket: ${live.split('\n').find((l) => l.includes(COUNTER_PREFIX))?.trim()}`);
  ok(['-n', NS, 'wait', '--for=condition=Ready', `vm/${NAME}`, '--timeout=120s']);
  process.stderr.write(ok(['-n', NS, 'get', 'vm,vmi', '-o', 'wide']));
}

main().catch((e: unknown) => {
  process.stderr.write(`vm-demo: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
