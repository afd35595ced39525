import { fakeApiserver, status, type FakeApiserver } from '../testing/fake-apiserver.js';
import { runInMemory } from '../testing/memory-io.js';
import { exposeCommand, selectorOf } from './expose-command.js';

const vm = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'vm1', labels: { owner: 'not-the-template' } }, spec: { template: { metadata: { labels: { app: 'web', 'kubevirt.io/vm': 'vm1' } }, spec: { domain: { devices: {} } } } } };
const vmi = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'vm1', labels: { app: 'web', 'kubevirt.io/nodeName': 'node-1' } }, spec: { domain: { devices: {} } } };

describe('virtctl expose', () => {
  let api: FakeApiserver;
  beforeEach(async () => {
    api = await fakeApiserver();
  });
  afterEach(async () => {
    await api.close();
  });
  const run = (...args: string[]) => runInMemory(exposeCommand(), ['--kubeconfig', api.kubeconfig, ...args]);

  test('a VM is exposed by its template\'s labels; a VMI by its own without kubevirt.io/nodeName', () => {
    expect(selectorOf('vm', vm as never)).toEqual({ app: 'web', 'kubevirt.io/vm': 'vm1' });
    expect(selectorOf('vmi', vmi as never)).toEqual({ app: 'web' });
  });

  test('expose vm creates the Service upstream\'s virtctl creates', async () => {
    api.respond = (r) => (r.method === 'GET' ? { code: 200, body: vm } : r.method === 'POST' ? { code: 201, body: r.body } : undefined);
    expect(await run('vm', 'vm1', '--name', 'vm1-ssh', '--port', '2222', '--target-port', '22', '--type', 'NodePort', '--node-port', '30022', '--port-name', 'ssh')).toEqual({ code: 0, out: 'Service vm1-ssh successfully exposed for vm vm1\n', err: '' });
    expect(api.seen[0]!.path).toBe('/apis/kubevirt.io/v1/namespaces/testns/virtualmachines/vm1');
    expect(api.seen[1]).toMatchObject({ method: 'POST', path: '/api/v1/namespaces/testns/services' });
    expect(api.seen[1]!.body).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'vm1-ssh', namespace: 'testns' },
      spec: { type: 'NodePort', selector: { app: 'web', 'kubevirt.io/vm': 'vm1' }, ports: [{ name: 'ssh', protocol: 'TCP', port: 2222, targetPort: 22, nodePort: 30022 }] },
    });
  });

  test('the target port defaults to the port and may be a name; UDP and a headless ClusterIP pass through', async () => {
    api.respond = (r) => (r.method === 'GET' ? { code: 200, body: vmi } : { code: 201, body: r.body });
    await run('vmi', 'vm1', '--name', 'dns', '--port', '53', '--protocol', 'UDP', '--cluster-ip', 'None');
    expect(api.seen[1]!.body).toMatchObject({ spec: { type: 'ClusterIP', clusterIP: 'None', selector: { app: 'web' }, ports: [{ protocol: 'UDP', port: 53, targetPort: 53 }] } });
    await run('vmi', 'vm1', '--name', 'web', '--port', '80', '--target-port', 'http');
    expect(api.seen[3]!.body).toMatchObject({ spec: { ports: [{ port: 80, targetPort: 'http' }] } });
  });

  test('a VM whose template has no labels is refused naming where to add them', async () => {
    api.respond = () => ({ code: 200, body: { ...vm, spec: { template: { spec: {} } } } });
    expect(await run('vm', 'vm1', '--name', 's', '--port', '80')).toEqual({ code: 1, out: '', err: 'virtctl expose: VirtualMachine testns/vm1 has no labels to select its pods by: add labels to spec.template.metadata.labels\n' });
  });

  test('a missing VM, and a Service that exists, are one line each', async () => {
    expect((await run('vm', 'ghost', '--name', 's', '--port', '80')).err).toBe('virtctl expose: VirtualMachine testns/ghost not found\n');
    api.respond = (r) => (r.method === 'GET' ? { code: 200, body: vm } : status(409, 'AlreadyExists', 'services "s" already exists'));
    expect(await run('vm', 'vm1', '--name', 's', '--port', '80')).toEqual({ code: 1, out: '', err: 'virtctl expose: services "s" already exists\n' });
  });

  test.each([
    [['vm', 'vm1', '--port', '80'], '--name is required'],
    [['vm', 'vm1', '--name', 's'], '--port is required'],
    [['pod', 'p', '--name', 's', '--port', '80'], 'unsupported resource type "pod": use vm or vmi'],
    [['vm', 'vm1', '--name', 's', '--port', '80', '--type', 'ExternalName'], '--type must be ClusterIP, NodePort, LoadBalancer, not "ExternalName"'],
    [['vm', 'vm1', '--name', 's', '--port', '80', '--protocol', 'HTTP'], '--protocol must be TCP, UDP, SCTP, not "HTTP"'],
    [['vm', 'vm1', '--name', 's', '--port', '0'], '--port must be a port number (1-65535), not "0"'],
    [['vm', 'vm1', '--name', 's', '--port', '80', '--node-port', '30000'], '--node-port needs --type NodePort or LoadBalancer'],
  ])('%j is a usage error: %s', async (args, message) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toContain(`virtctl expose: ${message}`);
    expect(api.seen).toEqual([]);
  });
});
