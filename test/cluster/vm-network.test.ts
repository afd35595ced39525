// The guest on the pod network: a Service selecting a VM's labels answers from a pod on the other node
// with the page the guest itself serves (its hostname), the VMI reports the pod's IP, and the guest's
// own traffic leaves with that IP. With `ports` listed, only those reach the guest.
import { HTTP_ADDRESSES_PREFIX, HTTP_PAGE_PREFIX, HTTP_READY_PREFIX } from '../guest/init-script.js';
import { BASE_IMAGE, NODES } from './paths.js';
import { launcherPodsOf, vmManifest, waitSerial, waitVmiPhase, stackNamespace } from './stack.js';
import { isReady, kubectl, kubectlOk as ok, waitPod } from './testing.js';
import { api } from './kube-api.js';

const ns = stackNamespace('vm-net');

async function clientPod(name: string, node: string): Promise<void> {
  await api('POST', `/api/v1/namespaces/${ns.name}/pods`, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: { nodeName: node, containers: [{ name: 'c', image: BASE_IMAGE, imagePullPolicy: 'Never', command: ['sleep', '3600'] }], terminationGracePeriodSeconds: 0 },
  });
  await waitPod(ns.name, name, isReady, 'Ready');
}

/** An HTTP GET of the guest's page with busybox nc from a pod (the static busybox's wget crashes); the exit code tells whether it connected. */
function fetchFrom(pod: string, address: string, port = 80): { code: number; body: string } {
  const r = kubectl(['-n', ns.name, 'exec', pod, '--', 'sh', '-c', `printf 'GET /cgi-bin/index.cgi HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 5 ${address} ${port}`], undefined, 30_000);
  return { code: r.code === 0 && r.stdout.length > 0 ? 0 : r.code || 1, body: r.stdout };
}

test('a Service selecting the VM answers from a pod on the other node with the page the guest serves', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'www', 'Always', { labels: { tier: 'www' } }));
  const vmi = await waitVmiPhase(ns.name, 'www', 'Running', 300_000);
  const [pod] = await launcherPodsOf(ns.name, 'www');
  await waitSerial(pod!, HTTP_READY_PREFIX);
  const log = await waitSerial(pod!, /virtstack-guest: dhcp eth0 (\d+\.\d+\.\d+\.\d+)/);
  expect(/virtstack-guest: dhcp eth0 (\S+)/.exec(log)?.[1]).toBe('10.0.2.2');
  ok(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'www', namespace: ns.name },
    spec: { selector: { tier: 'www' }, ports: [{ port: 8080, targetPort: 80 }] },
  }));
  const other = NODES.find((n) => n.name !== vmi.status?.nodeName)!.name;
  await clientPod('client', other);
  const svc = await api<{ spec: { clusterIP: string } }>('GET', `/api/v1/namespaces/${ns.name}/services/www`);
  let page = { code: 1, body: '' };
  for (let i = 0; i < 30 && page.code !== 0; i++) {
    page = fetchFrom('client', svc.spec.clusterIP, 8080);
    if (page.code !== 0) await new Promise((r) => setTimeout(r, 1000));
  }
  expect(page.code).toBe(0);
  expect(page.body).toContain(`${HTTP_PAGE_PREFIX}www`);
  expect(page.body).toContain(`${HTTP_ADDRESSES_PREFIX}10.0.2.2`);
  // and straight to the address the VMI reports, which is the pod's
  expect(vmi.status?.interfaces?.[0]?.ipAddress).toBe(pod!.status?.podIP);
  expect(fetchFrom('client', vmi.status!.interfaces![0]!.ipAddress!).body).toContain(`${HTTP_PAGE_PREFIX}www`);
}, 600_000);

test('with interfaces[].ports listed, only those ports reach the guest', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'only22', 'Always', {
    edit: (spec) => {
      spec.domain.devices.interfaces = [{ name: 'default', masquerade: {}, ports: [{ port: 22 }] }];
      spec.networks = [{ name: 'default', pod: {} }];
    },
  }));
  const vmi = await waitVmiPhase(ns.name, 'only22', 'Running', 300_000);
  const [pod] = await launcherPodsOf(ns.name, 'only22');
  await waitSerial(pod!, HTTP_READY_PREFIX);
  await clientPod('client2', vmi.status!.nodeName!);
  const r = fetchFrom('client2', vmi.status!.interfaces![0]!.ipAddress!);
  expect(r.code).not.toBe(0);
}, 600_000);

test('a bridge-bound interface gives the guest the pod\'s own address, and the pod IP reaches the guest from the other node', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'bridged', 'Always', {
    edit: (spec) => {
      spec.domain.devices.interfaces = [{ name: 'default', bridge: {} }];
      spec.networks = [{ name: 'default', pod: {} }];
    },
  }));
  const vmi = await waitVmiPhase(ns.name, 'bridged', 'Running', 300_000);
  const [pod] = await launcherPodsOf(ns.name, 'bridged');
  const log = await waitSerial(pod!, /virtstack-guest: dhcp eth0 \d+\.\d+\.\d+\.\d+/);
  expect(/virtstack-guest: dhcp eth0 (\S+)/.exec(log)?.[1]).toBe(pod!.status?.podIP);
  await waitSerial(pod!, HTTP_READY_PREFIX);
  const other = NODES.find((n) => n.name !== vmi.status?.nodeName)!.name;
  await clientPod('client3', other);
  let page = { code: 1, body: '' };
  for (let i = 0; i < 30 && page.code !== 0; i++) {
    page = fetchFrom('client3', pod!.status!.podIP!);
    if (page.code !== 0) await new Promise((r) => setTimeout(r, 1000));
  }
  expect(page.body).toContain(`${HTTP_PAGE_PREFIX}bridged`);
  // the guest itself holds the pod's address
  expect(page.body).toContain(`${HTTP_ADDRESSES_PREFIX}${pod!.status!.podIP}`);
}, 600_000);
