import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VirtualMachineInstance } from '../../api/index.js';
import type { Pod } from '../../kube/core-types.js';
import { jsonLogger } from '../../logger/logger.js';
import { NetworkSetupError } from './errors.js';
import { forLauncher, NodePodNetwork, podInterfaceOf } from './node-pod-network.js';
import type { PodNetworkRequest, PodNetworkResult } from './pod-network.js';
import type { PreparedPodNetwork } from './prepared-network.js';

const quiet = jsonLogger({}, { write: () => undefined });
const POD_UID = '5f0c3a7e-1b2d-4c3e-9f10-aa11bb22cc33';
const COMPUTE = 'c'.repeat(64);
const SANDBOX = 'a'.repeat(64);

function vmi(spec: Partial<VirtualMachineInstance['spec']> & { interfaces?: NonNullable<VirtualMachineInstance['spec']['domain']['devices']>['interfaces'] }): VirtualMachineInstance {
  const { interfaces, ...rest } = spec;
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'vm1', namespace: 'ns', uid: 'u1' },
    spec: { domain: { devices: interfaces === undefined ? {} : { interfaces } }, ...rest },
  } as VirtualMachineInstance;
}

const pod = (containerID: string | null = `containerd://${COMPUTE}`): Pod => ({
  metadata: { name: 'virt-launcher-vm1-x', namespace: 'ns', uid: POD_UID },
  status: { phase: 'Running', containerStatuses: [{ name: 'compute', ready: true, restartCount: 0, ...(containerID ? { containerID } : {}) }] },
});

const prepared: PreparedPodNetwork = {
  binding: 'masquerade', tap: 'tap0', mtu: 1450, dhcpInterface: 'tap0', dhcpServer: '10.0.2.1',
  guest: { address: '10.0.2.2', prefixLength: 24, gateway: '10.0.2.1' }, podIp: '10.244.1.7', podMac: '0a:58:0a:f4:01:07',
  dns: { nameservers: ['10.96.0.10'], searchDomains: ['ns.svc.cluster.local'] },
};

describe('podInterfaceOf', () => {
  it('defaults to one masquerade interface when the VMI names none (unless auto-attach is off)', () => {
    expect(podInterfaceOf(vmi({}))).toEqual({ binding: 'masquerade', ports: [] });
    const off = vmi({});
    off.spec.domain.devices = { autoattachPodInterface: false };
    expect(podInterfaceOf(off)).toBeUndefined();
  });

  it('reads the binding, ports (TCP by default) and MAC of the interface on the pod network', () => {
    const v = vmi({ interfaces: [{ name: 'web', masquerade: {}, ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }] }], networks: [{ name: 'web', pod: {} }] });
    expect(podInterfaceOf(v)).toEqual({ binding: 'masquerade', ports: [{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] });
    const b = vmi({ interfaces: [{ name: 'default', bridge: {}, macAddress: 'de:ad:00:00:be:af' }], networks: [{ name: 'default', pod: {} }] });
    expect(podInterfaceOf(b)).toEqual({ binding: 'bridge', ports: [], macAddress: 'de:ad:00:00:be:af' });
  });

  it('is undefined when no interface is on the pod network', () => {
    expect(podInterfaceOf(vmi({ interfaces: [], networks: [] }))).toBeUndefined();
  });
});

describe('forLauncher', () => {
  it('maps the prepared network to what the launcher\'s DHCP offers', () => {
    expect(forLauncher(prepared)).toEqual({
      binding: 'masquerade', tap: 'tap0', mtu: 1450,
      dhcp: { address: '10.0.2.2', prefixLength: 24, router: '10.0.2.1', serverAddress: '10.0.2.1', dns: ['10.96.0.10'], search: ['ns.svc.cluster.local'] },
    });
  });
});

describe('NodePodNetwork', () => {
  let proc: string;
  const requests: PodNetworkRequest[] = [];
  const addProcess = (pid: number, cid: string, resolv?: string) => {
    const dir = join(proc, String(pid));
    mkdirSync(join(dir, 'root', 'etc'), { recursive: true });
    writeFileSync(join(dir, 'cgroup'), `4:memory:/kubepods/besteffort/pod${POD_UID}/${cid}\n`);
    writeFileSync(join(dir, 'stat'), `${pid} (x) S 1\n`);
    if (resolv) writeFileSync(join(dir, 'root', 'etc', 'resolv.conf'), resolv);
  };
  const setup = () =>
    new NodePodNetwork({
      log: quiet,
      procRoot: proc,
      prepare: async (req): Promise<PodNetworkResult> => {
        requests.push(req);
        return { network: { ...prepared, dns: req.dns }, changed: [] };
      },
    });

  beforeEach(() => {
    proc = mkdtempSync(join(tmpdir(), 'vs-npn-'));
    requests.length = 0;
    addProcess(100, SANDBOX);
    addProcess(120, COMPUTE, 'nameserver 10.96.0.10\nsearch ns.svc.cluster.local svc.cluster.local\n');
  });
  afterEach(() => rmSync(proc, { recursive: true, force: true }));

  it('prepares the namespace of the compute container\'s process, with the pod\'s DNS and the VMI\'s ports', async () => {
    const v = vmi({ interfaces: [{ name: 'default', masquerade: {}, ports: [{ port: 22 }] }], networks: [{ name: 'default', pod: {} }] });
    const out = await setup().prepare(pod(), v);
    expect(requests).toEqual([{ netns: join(proc, '120', 'ns', 'net'), binding: 'masquerade', ports: [{ port: 22, protocol: 'TCP' }], dns: { nameservers: ['10.96.0.10'], searchDomains: ['ns.svc.cluster.local', 'svc.cluster.local'] } }]);
    expect(out?.dhcp.search).toEqual(['ns.svc.cluster.local', 'svc.cluster.local']);
  });

  it('passes the VMI\'s MAC for bridge', async () => {
    const v = vmi({ interfaces: [{ name: 'default', bridge: {}, macAddress: '02:00:00:00:00:01' }], networks: [{ name: 'default', pod: {} }] });
    await setup().prepare(pod(), v);
    expect(requests[0]).toMatchObject({ binding: 'bridge', guestMac: '02:00:00:00:00:01' });
  });

  it('does nothing for a VMI without a pod interface', async () => {
    expect(await setup().prepare(pod(), vmi({ interfaces: [], networks: [] }))).toBeUndefined();
    expect(requests).toEqual([]);
  });

  it('fails, naming the pod, while the compute container has no id or no process here', async () => {
    await expect(setup().prepare(pod(null), vmi({}))).rejects.toThrow(/pod ns\/virt-launcher-vm1-x has no uid or no compute container id/);
    await expect(setup().prepare(pod(`containerd://${'d'.repeat(64)}`), vmi({}))).rejects.toThrow(NetworkSetupError);
    await expect(setup().prepare(pod(`containerd://${'d'.repeat(64)}`), vmi({}))).rejects.toThrow(/no process of container compute of pod ns\/virt-launcher-vm1-x.*hostPID/);
  });
});
