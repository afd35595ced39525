// The main job's "show the VM running" after `pulumi up` created it (the root Pulumi program): where its
// VMI runs, then the guest's serial console read through the stack as `virtctl console` reads it
// (kube-apiserver → virt-api, the aggregated API → the VMI's virt-handler over mutual TLS → the launcher),
// with the kubeconfig kubectl would use ($KUBECONFIG, else ~/.kube/config): no host path, so it works on
// the user's own cluster too. Nothing is applied here: the VM is the Pulumi stack's.
//   node dist/test/cluster/vm-demo.js [--namespace virtstack-demo] [--name demo]
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { WebSocket } from 'ws';
import { toolPath } from '../../toolchain/products.js';
import { connectCluster, openVmiStream, type Cluster } from '../../virt/cli/connection/index.js';
import { RESOURCES } from '../../virt/kube/resources.js';
import { LAUNCHER_POD } from '../../virt/protocol/launcher-pod.js';
import { COUNTER_PREFIX } from '../guest/init-script.js';
import { GUEST_MARKER, SERIAL_LOG } from './stack.js';

interface Vmi {
  metadata: { name?: string };
  status?: { phase?: string; nodeName?: string; interfaces?: { ipAddress?: string }[] };
}

const say = (line: string): void => void process.stderr.write(`${line}\n`);
const COUNTER_LINE = new RegExp(`${COUNTER_PREFIX}\\d+(?=\\r?\\n)`);

async function waitRunning(cluster: Cluster, name: string, timeoutMs: number): Promise<Vmi> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not found';
  for (;;) {
    try {
      const vmi = await cluster.api.get<Vmi>(RESOURCES.virtualMachineInstances, cluster.namespace, name);
      if (vmi.status?.phase === 'Running' && vmi.status.interfaces?.[0]?.ipAddress) return vmi;
      last = `phase ${vmi.status?.phase ?? 'unset'}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`VMI ${cluster.namespace}/${name} is not Running with an IP after ${timeoutMs / 1000} s (${last})`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** What the console prints from now on, until a whole counter line has come. */
function readUntilCounter(ws: WebSocket, timeoutMs: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let seen = '';
    const end = (err?: Error) => {
      clearTimeout(timer);
      ws.removeAllListeners('message');
      if (err) reject(err);
      else resolve(seen);
    };
    const timer = setTimeout(() => end(new Error(`no "${COUNTER_PREFIX}" line on the console within ${timeoutMs / 1000} s; it printed:\n${seen.slice(-1000)}`)), timeoutMs);
    ws.on('message', (d: Buffer) => {
      seen += d.toString('latin1');
      if (COUNTER_LINE.test(seen)) end();
    });
    ws.once('close', (code: number) => end(new Error(`the console closed (WebSocket code ${code}) before a counter line; it printed:\n${seen.slice(-1000)}`)));
    ws.resume();
  });
}

/**
 * The boot marker is printed once, at boot; a console attached later (a second `./virtstack up`) starts
 * after it, as upstream's does. Then it comes from the launcher's serial log, through the Kubernetes API
 * (pods/exec) with the same kubeconfig.
 */
function markerFromSerialLog(ns: string, name: string): string | undefined {
  const pods = spawnSync(toolPath('kubernetes', 'kubectl'), ['-n', ns, 'get', 'pods', '-l', `kubevirt.io/domain=${name}`, '--field-selector=status.phase=Running', '-o', 'jsonpath={.items[0].metadata.name}'], { encoding: 'utf8' });
  const pod = pods.stdout?.trim();
  if (!pod) return undefined;
  const log = spawnSync(toolPath('kubernetes', 'kubectl'), ['-n', ns, 'exec', pod, '-c', LAUNCHER_POD.computeContainer, '--', 'cat', SERIAL_LOG], { encoding: 'utf8' });
  return log.stdout?.split('\n').find((l) => l.includes(GUEST_MARKER))?.trim();
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { namespace: { type: 'string', default: 'virtstack-demo' }, name: { type: 'string', default: 'demo' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write('usage: node dist/test/cluster/vm-demo.js [--namespace NS] [--name VM]\n  shows where the VM runs, then its boot marker and a live counter line from its console (through virt-api, as virtctl console)\n');
    return;
  }
  const name = values.name;
  const cluster = connectCluster({ namespace: values.namespace });
  try {
    const vmi = await waitRunning(cluster, name, 120_000);
    say(`VMI Running on ${vmi.status?.nodeName} with IP ${vmi.status?.interfaces?.[0]?.ipAddress}`);
    const ws = await openVmiStream(cluster, name, 'console', { timeoutMs: 120_000 });
    let seen: string;
    try {
      seen = await readUntilCounter(ws, 120_000);
    } finally {
      ws.close(1000);
    }
    say(`console of VMI ${cluster.namespace}/${name} read through the stack (not through the host): kube-apiserver → virt-api → virt-handler → launcher, as virtctl console`);
    const marker = seen.split('\n').find((l) => l.includes(GUEST_MARKER))?.trim();
    if (marker) say(`  boot marker, live on the console: ${marker}`);
    else {
      const logged = markerFromSerialLog(cluster.namespace, name);
      say(logged ? `  boot marker, from the serial log (the guest booted before the console attached): ${logged}` : `  boot marker: not found (the guest booted before the console attached and its serial log could not be read)`);
    }
    say(`  live counter line: ${COUNTER_LINE.exec(seen)?.[0]}`);
  } finally {
    cluster.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`vm-demo: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
