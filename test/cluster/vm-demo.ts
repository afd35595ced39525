// The main job's "show the VM running" after `pulumi up` created it (stack-examples/single-vm): where its
// VMI runs, the guest's boot marker from its serial log and a live counter line from its console, read
// through the launcher pod's socket from the host (the local cluster only; the api's console subresource
// replaces this once it lands). Nothing is applied here: the VM is the Pulumi stack's.
//   node dist/test/cluster/vm-demo.js [--namespace virtstack-demo] [--name demo]
import { parseArgs } from 'node:util';
import { COUNTER_PREFIX } from '../guest/init-script.js';
import { consoleUntil, GUEST_MARKER, launcherPodsOf, waitSerial, waitVmiPhase } from './stack.js';

const say = (line: string): void => void process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { namespace: { type: 'string', default: 'virtstack-demo' }, name: { type: 'string', default: 'demo' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write('usage: node dist/test/cluster/vm-demo.js [--namespace NS] [--name VM]\n  shows where the VM runs, its boot marker and a live console line\n');
    return;
  }
  const ns = values.namespace;
  const name = values.name;
  const vmi = await waitVmiPhase(ns, name, 'Running', 120_000);
  say(`VMI Running on ${vmi.status?.nodeName} with IP ${vmi.status?.interfaces?.[0]?.ipAddress}`);
  const pod = (await launcherPodsOf(ns, name)).find((p) => p.metadata.labels?.['kubevirt.io/created-by'] === vmi.metadata.uid);
  if (!pod) throw new Error(`VMI ${ns}/${name} runs but its launcher pod is not listed`);
  const log = await waitSerial(pod, GUEST_MARKER);
  say(`serial log of launcher pod ${pod.metadata.name}: ${log.split('\n').find((l) => l.includes(GUEST_MARKER))?.trim()}`);
  const live = await consoleUntil(pod, COUNTER_PREFIX, 60_000);
  say(`live console through the launcher's socket: ${live.split('\n').find((l) => l.includes(COUNTER_PREFIX))?.trim()}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`vm-demo: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
