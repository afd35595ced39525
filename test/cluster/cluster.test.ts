// Proof that the local cluster is a working Kubernetes: two Ready nodes, pods placed by nodeSelector,
// pod-to-pod TCP across nodes, a ClusterIP Service from the other node and from the host, a dynamically
// provisioned PVC, kubectl logs and exec, and a teardown that leaves nothing (then up again).
import { spawn, spawnSync } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, readyNodes } from './kube-api.js';
import { leftovers } from './cluster.js';
import { ETCD_CLIENT_PORT, kubeconfigPath, NODE_PRIVATE_PATHS, nodeDir, NODES } from './paths.js';
import { toolPath } from '../../toolchain/products.js';
import { clusterPids } from './host.js';
import { CLUSTER_SETUP_TIMEOUT_MS, clusterCommand, ensureCluster, isReady, kubectl, repoRoot, tempNamespace, waitPod, type PodObject } from './testing.js';
import { waitFor } from './exec.js';

const IMAGE = 'localhost/virtstack/base:dev';
const [node1, node2] = NODES;
if (!node1 || !node2) throw new Error('the cluster has two nodes');

let ns: { name: string; remove: () => Promise<void> };

function pod(name: string, node: string, command: string[], labels: Record<string, string> = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': node },
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'main', image: IMAGE, command }],
    },
  };
}

function hostConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const s = connect({ host, port, timeout: 5000 });
    s.on('data', (d) => (data += d.toString()));
    s.on('end', () => resolve(data));
    s.on('timeout', () => s.destroy(new Error(`no answer from ${host}:${port}`)));
    s.on('error', reject);
  });
}

beforeAll(async () => {
  await ensureCluster();
  ns = await tempNamespace('cluster-test');
  await waitFor('the test namespace default ServiceAccount', 30_000, async () => {
    await api('GET', `/api/v1/namespaces/${ns.name}/serviceaccounts/default`);
    return true;
  });
  const server = pod('server', node1.name, ['socat', 'TCP-LISTEN:8080,fork,reuseaddr', 'SYSTEM:echo hello-from-server'], { app: 'server' });
  const client = pod('client', node2.name, ['sh', '-c', 'echo client-started; exec sleep infinity']);
  await api('POST', `/api/v1/namespaces/${ns.name}/pods`, server);
  await api('POST', `/api/v1/namespaces/${ns.name}/pods`, client);
  await api('POST', `/api/v1/namespaces/${ns.name}/services`, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'server' },
    spec: { selector: { app: 'server' }, ports: [{ port: 80, targetPort: 8080 }] },
  });
}, CLUSTER_SETUP_TIMEOUT_MS);

afterAll(async () => {
  await ns?.remove();
});

test('both nodes are Ready', async () => {
  expect(await readyNodes()).toEqual(NODES.map((n) => n.name));
});

test('cluster:up again is a no-op on a healthy cluster', async () => {
  const started = Date.now();
  const r = await clusterCommand('up');
  expect(r.code).toBe(0);
  expect(r.output).toContain('already up');
  expect(r.output).toContain('export KUBECONFIG=');
  expect(Date.now() - started).toBeLessThan(10_000);
}, 60_000);

test('nodeSelector places one pod on each node, each with an address from its node range', async () => {
  const server = await waitPod(ns.name, 'server', isReady, 'Ready');
  const client = await waitPod(ns.name, 'client', isReady, 'Ready');
  expect(server.spec.nodeName).toBe(node1.name);
  expect(client.spec.nodeName).toBe(node2.name);
  expect(server.status?.podIP).toMatch(/^10\.214\.1\./);
  expect(client.status?.podIP).toMatch(/^10\.214\.2\./);
}, 180_000);

test('a pod on node-2 reaches a pod on node-1 over TCP', async () => {
  const server = await waitPod(ns.name, 'server', isReady, 'Ready');
  await waitPod(ns.name, 'client', isReady, 'Ready');
  const r = kubectl(['-n', ns.name, 'exec', 'client', '--', 'socat', '-T5', '-', `TCP:${server.status?.podIP}:8080`], '');
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toBe('hello-from-server');
}, 180_000);

test('a ClusterIP Service answers from the other node and from the host', async () => {
  await waitPod(ns.name, 'server', isReady, 'Ready');
  await waitPod(ns.name, 'client', isReady, 'Ready');
  const svc = await api<{ spec: { clusterIP: string } }>('GET', `/api/v1/namespaces/${ns.name}/services/server`);
  // kube-proxy programs the rules shortly after the endpoints appear: poll rather than sleep.
  const fromPod = await waitFor('the Service to answer from the client pod', 60_000, () => {
    const r = kubectl(['-n', ns.name, 'exec', 'client', '--', 'socat', '-T5', '-', `TCP:${svc.spec.clusterIP}:80`], '');
    return r.stdout.includes('hello-from-server') ? r.stdout.trim() : undefined;
  }, 500);
  expect(fromPod).toBe('hello-from-server');
  const fromHost = await waitFor('the Service to answer from the host', 60_000, async () => {
    const out = await hostConnect(svc.spec.clusterIP, 80);
    return out.includes('hello-from-server') ? out.trim() : undefined;
  }, 500);
  expect(fromHost).toBe('hello-from-server');
}, 180_000);

test('kubectl logs and kubectl exec work', async () => {
  await waitPod(ns.name, 'client', isReady, 'Ready');
  const logs = await waitFor('the client log line', 30_000, () => {
    const r = kubectl(['-n', ns.name, 'logs', 'client']);
    return r.stdout.includes('client-started') ? r.stdout : undefined;
  });
  expect(logs.trim()).toBe('client-started');
  const exec = kubectl(['-n', ns.name, 'exec', 'client', '--', 'sh', '-c', 'echo "exec in $(hostname)"']);
  expect(exec.code).toBe(0);
  expect(exec.stdout.trim()).toBe('exec in client');
}, 120_000);

test('kubectl port-forward reaches a pod on the other network namespace from the host', async () => {
  await waitPod(ns.name, 'server', isReady, 'Ready');
  const pf = spawn(toolPath('kubernetes', 'kubectl'), [`--kubeconfig=${kubeconfigPath()}`, '-n', ns.name, 'port-forward', 'pod/server', ':8080'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    pf.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const port = await waitFor('kubectl port-forward to listen', 30_000, () => /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)?.[1], 100);
    expect(await hostConnect('127.0.0.1', Number(port))).toBe('hello-from-server\n');
  } finally {
    pf.kill();
  }
}, 60_000);

test('hostPath under a node-private path is per node; elsewhere it is the shared host', async () => {
  const script = 'echo from-$NODE > /private/mark; ls /private; echo ---; cat /shared/hostname';
  for (const n of [node1, node2]) {
    const p = pod(`hostpath-${n.name}`, n.name, ['sh', '-c', script]) as {
      spec: { restartPolicy?: string; containers: { env?: object[]; volumeMounts?: object[] }[]; volumes?: object[] };
    };
    p.spec.restartPolicy = 'Never';
    p.spec.containers[0]!.env = [{ name: 'NODE', value: n.name }];
    p.spec.containers[0]!.volumeMounts = [
      { name: 'private', mountPath: '/private' },
      { name: 'shared', mountPath: '/shared', readOnly: true },
    ];
    p.spec.volumes = [
      { name: 'private', hostPath: { path: `${NODE_PRIVATE_PATHS[0]}/cluster-test`, type: 'DirectoryOrCreate' } },
      { name: 'shared', hostPath: { path: '/etc', type: 'Directory' } },
    ];
    await api('POST', `/api/v1/namespaces/${ns.name}/pods`, p);
  }
  const hostname = readFileSync('/etc/hostname', 'utf8');
  for (const n of [node1, node2]) {
    await waitPod(ns.name, `hostpath-${n.name}`, (p: PodObject) => p.status?.phase === 'Succeeded', 'Succeeded');
    // Each node sees only its own mark, and the same /etc as the host.
    expect(kubectl(['-n', ns.name, 'logs', `hostpath-${n.name}`]).stdout).toBe(`mark\n---\n${hostname}`);
    const file = join(nodeDir(n), 'private', NODE_PRIVATE_PATHS[0]!.slice(1).replace(/\//g, '_'), 'cluster-test', 'mark');
    expect(readFileSync(file, 'utf8')).toBe(`from-${n.name}\n`);
  }
  expect(existsSync(`${NODE_PRIVATE_PATHS[0]}/cluster-test`)).toBe(false);
}, 180_000);

test('a PVC on the default StorageClass is provisioned, bound and written', async () => {
  await api('POST', `/api/v1/namespaces/${ns.name}/persistentvolumeclaims`, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } },
  });
  const writer = pod('writer', node2.name, ['sh', '-c', 'echo persisted-$(hostname) > /data/file && cat /data/file']) as {
    spec: { restartPolicy?: string; containers: { volumeMounts?: object[] }[]; volumes?: object[] };
  };
  writer.spec.restartPolicy = 'Never';
  writer.spec.containers[0]!.volumeMounts = [{ name: 'data', mountPath: '/data' }];
  writer.spec.volumes = [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }];
  await api('POST', `/api/v1/namespaces/${ns.name}/pods`, writer);
  await waitPod(ns.name, 'writer', (p: PodObject) => p.status?.phase === 'Succeeded', 'Succeeded', 120_000);
  const pvc = await api<{ spec: { volumeName: string; storageClassName: string }; status: { phase: string } }>(
    'GET',
    `/api/v1/namespaces/${ns.name}/persistentvolumeclaims/data`,
  );
  expect(pvc.status.phase).toBe('Bound');
  expect(pvc.spec.storageClassName).toBe('local-path');
  expect(kubectl(['-n', ns.name, 'logs', 'writer']).stdout.trim()).toBe('persisted-writer');
  // The volume really lives in node-2's local-path folder on disk.
  const dir = join(nodeDir(node2), 'local-path');
  const volume = readdirSync(dir).find((d) => d.startsWith(pvc.spec.volumeName));
  expect(volume).toBeDefined();
  expect(readFileSync(join(dir, volume!, 'file'), 'utf8').trim()).toBe('persisted-writer');
}, 180_000);

test('cluster:up refuses a user who is not root, saying why', () => {
  // The checkout may sit where that user cannot read (CI clones into a 0700 temporary folder), so the
  // compiled scripts (built-ins only, no node_modules) are run from a world-readable copy.
  const copy = mkdtempSync(join(tmpdir(), 'virtstack-notroot-'));
  try {
    chmodSync(copy, 0o755);
    cpSync(join(repoRoot, 'dist'), join(copy, 'dist'), { recursive: true });
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(copy, 'dist', 'test', 'cluster', 'main.js'), 'up'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the local cluster needs root');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});

// Destructive from here on; each test leaves the cluster up for the next test file.
test('cluster:up after a crash (every process killed, nothing cleaned) recovers by itself', async () => {
  for (const pid of clusterPids()) process.kill(pid, 'SIGKILL');
  await waitFor('the cluster processes to die', 10_000, () => (clusterPids().length === 0 ? true : undefined), 50);
  const r = await clusterCommand('up');
  expect(r.code).toBe(0);
  expect(r.output).toContain('found state from an earlier run');
  expect(await readyNodes()).toEqual(NODES.map((n) => n.name));
}, 300_000);

test('cluster:up names the process that holds a port it needs', async () => {
  expect((await clusterCommand('down')).code).toBe(0);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(ETCD_CLIENT_PORT, '127.0.0.1', resolve));
  try {
    const r = await clusterCommand('up');
    expect(r.code).toBe(1);
    expect(r.output).toContain(`port ${ETCD_CLIENT_PORT} (etcd client, 127.0.0.1) is in use by node (pid ${process.pid})`);
    expect(r.output).not.toMatch(/\n\s+at /);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  expect((await clusterCommand('up')).code).toBe(0);
}, 300_000);

test('cluster:down leaves nothing behind, and cluster:up after it works', async () => {
  const down = await clusterCommand('down');
  expect(down.code).toBe(0);
  expect(leftovers()).toEqual([]);
  expect(existsSync('/run/containerd/s') ? readdirSync('/run/containerd/s') : []).toEqual([]);
  const up = await clusterCommand('up');
  expect(up.code).toBe(0);
  expect(await readyNodes()).toEqual(NODES.map((n) => n.name));
}, 300_000);
