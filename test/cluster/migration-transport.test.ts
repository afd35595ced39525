// Issue 12's transport on the cluster: a containerDisk VM migrated from its node to the other and back by
// VirtualMachineInstanceMigrations, every stream carried by the handlers (unix sockets in the launcher
// pods, mutual TLS between the handlers). At every poll: no launcher's network namespace has a TCP socket
// listening, at most one launcher runs the domain, at most two QEMUs exist (the source and the incoming
// target) and exactly one at rest. After each migration: the guest's counter continued (no boot, no
// regression), the serial console answers through the api (so through the new node's handler), the VMI's
// node, label and IP are the target's, the source pod is gone. And from a pod on the other node, the
// launcher pod's libvirt and migration ports refuse connections.
import { readFileSync } from 'node:fs';
import { COUNTER_PREFIX, GUEST_MARKER } from '../guest/init-script.js';
import { LauncherClient } from '../../virt/protocol/client.js';
import { waitFor } from './exec.js';
import { api } from './kube-api.js';
import { getVmi, launcherPodsOf, launcherSocketOnHost, qemuOf, serialLog, STACK_NAMESPACE, stackNamespace, vmManifest, waitVmiPhase, type LauncherPod } from './stack.js';
import { openStream, readUntil, subresourcePath } from './subresources-client.js';
import { kubectl, kubectlOk as ok } from './testing.js';

const ns = stackNamespace('mig-transport');
const VM = 'traveller';

const counters = (log: string): number[] => [...log.matchAll(new RegExp(`${COUNTER_PREFIX}(\\d+)`, 'g'))].map((m) => Number(m[1]));

interface Vmim {
  metadata: { name: string; uid: string };
  status?: { phase?: string };
}

interface VmiFull {
  metadata: { labels?: Record<string, string> };
  status?: { nodeName?: string; interfaces?: { ipAddress?: string }[]; migrationState?: Record<string, unknown> };
}

/** TCP sockets in LISTEN state (st 0A) in the network namespace of process `pid`, as the host's /proc shows them. */
function tcpListeners(pid: string): string[] {
  const out: string[] = [];
  for (const f of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${f}`, 'utf8');
    } catch {
      continue; // the process is gone
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A') out.push(`${f} ${cols[1]}`);
    }
  }
  return out;
}

async function runningDomains(pods: readonly LauncherPod[]): Promise<string[]> {
  const running: string[] = [];
  for (const p of pods) {
    if (!p.spec.nodeName) continue;
    let client: LauncherClient | undefined;
    try {
      client = await LauncherClient.connect(launcherSocketOnHost(p.spec.nodeName, p.metadata.uid), 2000);
      const info = await client.call('getDomain', {}, 5000);
      if (info?.state === 'Running') running.push(p.metadata.name);
    } catch {
      // not started yet, or exited
    } finally {
      client?.close();
    }
  }
  return running;
}

/** One VMIM to completion, checking the invariants at every poll. */
async function migrate(from: string): Promise<{ vmim: Vmim; polls: number; maxQemu: number }> {
  const vmim = await api<Vmim>('POST', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachineinstancemigrations`, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceMigration',
    metadata: { generateName: `${VM}-` },
    spec: { vmiName: VM },
  });
  let polls = 0;
  let maxQemu = 0;
  // waitFor retries on a throw, so what a poll sees wrong is kept and asserted after the migration.
  const violations: string[] = [];
  const done = await waitFor(`VMIM ${vmim.metadata.name} to end`, 480_000, async () => {
    polls++;
    const qemus = await qemuOf(ns.name, VM);
    maxQemu = Math.max(maxQemu, qemus.length);
    if (qemus.length > 2) violations.push(`${qemus.length} QEMU processes`);
    for (const q of qemus) {
      const pid = q.split(' ')[0]!;
      const listening = tcpListeners(pid);
      if (listening.length) violations.push(`TCP listeners in the network namespace of QEMU ${pid}: ${listening.join(', ')}`);
    }
    const running = await runningDomains(await launcherPodsOf(ns.name, VM));
    if (running.length > 1) violations.push(`the domain runs in ${running.join(' and ')}`);
    const m = await api<Vmim>('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachineinstancemigrations/${vmim.metadata.name}`);
    return m.status?.phase === 'Succeeded' || m.status?.phase === 'Failed' ? m : undefined;
  }, 300);
  expect(violations).toEqual([]);
  if (done.status?.phase !== 'Succeeded') {
    const vmi = await api<VmiFull>('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachineinstances/${VM}`);
    throw new Error(`migration from ${from} ended ${done.status?.phase}: ${JSON.stringify(vmi.status?.migrationState)}`);
  }
  return { vmim: done, polls, maxQemu };
}

test('a containerDisk VM migrates to the other node and back: counter intact, console answers, status follows, no TCP listener in any launcher', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, VM, 'Always'));
  const first = await waitVmiPhase(ns.name, VM, 'Running', 300_000);
  const nodes = [first.status!.nodeName!];
  let [pod] = await launcherPodsOf(ns.name, VM);
  await waitFor('the guest to count to 5', 180_000, async () => (Math.max(0, ...counters(serialLog(pod!))) >= 5 ? true : undefined), 1000);

  // From the handler pod of the other node: the launcher pod's libvirt (16509/16514) and QEMU migration
  // (49152/49153) ports refuse, as every other port would (no listener at all in the pod).
  const handlers = await api<{ items: { metadata: { name: string }; spec: { nodeName: string } }[] }>('GET', `/api/v1/namespaces/${STACK_NAMESPACE}/pods?labelSelector=kubevirt.io%3Dvirt-handler`);
  const other = handlers.items.find((h) => h.spec.nodeName !== nodes[0])!;
  const podIp = (await api<{ status: { podIP: string } }>('GET', `/api/v1/namespaces/${ns.name}/pods/${pod!.metadata.name}`)).status.podIP;
  const probe = `const net=require('net');(async()=>{for(const p of [16509,16514,49152,49153]){const r=await new Promise(res=>{const s=net.connect({host:'${podIp}',port:p,timeout:3000});s.on('connect',()=>{s.destroy();res('open')});s.on('error',e=>res(e.code));s.on('timeout',()=>{s.destroy();res('timeout')})});console.log(p+' '+r)}})()`;
  const probed = kubectl(['-n', STACK_NAMESPACE, 'exec', other.metadata.name, '--', 'node', '-e', probe]);
  expect(probed.stdout.trim().split('\n')).toEqual(['16509 ECONNREFUSED', '16514 ECONNREFUSED', '49152 ECONNREFUSED', '49153 ECONNREFUSED']);

  for (let hop = 0; hop < 2; hop++) {
    const source = pod!;
    const before = Math.max(0, ...counters(serialLog(source)));
    const { polls, maxQemu } = await migrate(nodes[hop]!);
    process.stdout.write(`hop ${hop + 1}: ${polls} polls, at most ${maxQemu} QEMU processes\n`);
    const vmi = await api<VmiFull>('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachineinstances/${VM}`);
    const target = vmi.status!.nodeName!;
    expect(target).not.toBe(nodes[hop]);
    nodes.push(target);
    expect(vmi.metadata.labels?.['kubevirt.io/nodeName']).toBe(target);
    // The source pod goes; the one left runs on the target.
    const pods = await waitFor('the source pod to be gone', 120_000, async () => {
      const list = await launcherPodsOf(ns.name, VM);
      return list.length === 1 && list[0]!.metadata.uid !== source.metadata.uid ? list : undefined;
    }, 1000);
    pod = pods[0]!;
    expect(pod.spec.nodeName).toBe(target);
    const targetIp = (await api<{ status: { podIP: string } }>('GET', `/api/v1/namespaces/${ns.name}/pods/${pod.metadata.name}`)).status.podIP;
    await waitFor('the VMI to report the target pod\'s IP', 60_000, async () => ((await getVmi(ns.name, VM))?.status?.interfaces?.[0]?.ipAddress === targetIp ? true : undefined), 1000);
    expect(await qemuOf(ns.name, VM)).toHaveLength(1);
    // The target's serial log begins where the guest was: no boot, counting on from before the move.
    const log = await waitFor('the guest to count on the target', 60_000, async () => {
      const l = serialLog(pod!);
      return counters(l).length >= 3 ? l : undefined;
    }, 1000);
    expect(log).not.toContain(GUEST_MARKER);
    const after = counters(log);
    expect(after[0]).toBeGreaterThanOrEqual(before);
    expect(after).toEqual([...after].sort((a, b) => a - b));
    // The console through the api reaches the launcher through the new node's handler.
    const opened = await openStream(subresourcePath(ns.name, 'virtualmachineinstances', VM, 'console'));
    if (!('ws' in opened)) throw new Error(`console refused: ${opened.code} ${opened.body}`);
    const last = after[after.length - 1]!;
    try {
      // The guest prints its counter every few counts: the next line, whatever its value, must be higher.
      const seen = await readUntil(opened.ws, new RegExp(`${COUNTER_PREFIX}\\d+\\r?\\n`), 60_000);
      expect(Math.max(...counters(seen))).toBeGreaterThan(last);
    } finally {
      opened.ws.close();
    }
  }
  expect(nodes[2]).toBe(nodes[0]);
}, 1_500_000);
