import type { CliCommand } from '../command.js';
import { fakeApiserver, status, type FakeApiserver } from '../testing/fake-apiserver.js';
import { memoryIo, runInMemory } from '../testing/memory-io.js';
import { vmActionCommand } from './vm-actions.js';
import { vmiActionCommand } from './vmi-actions.js';

const SR = '/apis/subresources.kubevirt.io/v1/namespaces';

describe('virtctl start, stop, restart, pause, unpause', () => {
  let api: FakeApiserver;
  beforeEach(async () => {
    api = await fakeApiserver();
  });
  afterEach(async () => {
    await api.close();
  });
  const run = (cmd: CliCommand, ...args: string[]) => runInMemory(cmd, ['--kubeconfig', api.kubeconfig, ...args]);

  test('start PUTs the VM\'s start subresource in the context\'s namespace with the kubeconfig\'s token', async () => {
    api.respond = (r) => (r.method === 'PUT' ? { code: 202 } : undefined);
    expect(await run(vmActionCommand('start'), 'vm1')).toEqual({ code: 0, out: 'VM vm1 was scheduled to start\n', err: '' });
    expect(api.seen).toEqual([{ method: 'PUT', path: `${SR}/testns/virtualmachines/vm1/start`, body: {}, authorization: 'Bearer alice-token' }]);
  });

  test('-n picks the namespace; stop --force --grace-period sends upstream\'s StopOptions', async () => {
    api.respond = () => ({ code: 202 });
    expect((await run(vmActionCommand('stop'), 'vm1', '-n', 'other', '--force', '--grace-period=0')).code).toBe(0);
    expect(api.seen[0]).toMatchObject({ path: `${SR}/other/virtualmachines/vm1/stop`, body: { gracePeriod: 0 } });
    expect((await run(vmActionCommand('restart'), 'vm1', '--force', '--grace-period', '0', '--dry-run')).out).toBe('VM vm1 was scheduled to restart (dry run: nothing changed)\n');
    expect(api.seen[1]).toMatchObject({ path: `${SR}/testns/virtualmachines/vm1/restart`, body: { gracePeriodSeconds: 0, dryRun: ['All'] } });
  });

  test('a context without a namespace uses "default"; --context picks it', async () => {
    api.respond = () => ({ code: 202 });
    await run(vmActionCommand('start'), 'vm1', '--context', 'nons');
    expect(api.seen[0]!.path).toBe(`${SR}/default/virtualmachines/vm1/start`);
  });

  test.each([
    [404, 'NotFound', 'virtualmachines.kubevirt.io "nope" not found'],
    [403, 'Forbidden', 'virtualmachines.subresources.kubevirt.io "vm1" is forbidden: User "viewer" cannot update resource "virtualmachines/start" in API group "subresources.kubevirt.io" in the namespace "testns"'],
    [409, 'Conflict', 'Operation cannot be fulfilled on virtualmachine.kubevirt.io "vm1": VM is already running'],
  ])('a %i Status is one line with the server\'s message and exit 1', async (code, reason, message) => {
    api.respond = () => status(code, reason, message);
    expect(await run(vmActionCommand('start'), 'nope')).toEqual({ code: 1, out: '', err: `virtctl start: ${message}\n` });
  });

  test('an unreachable API server is one line naming it', async () => {
    const r = await run(vmActionCommand('start'), 'vm1', '--context', 'broken');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^virtctl start: cannot reach the API server http:\/\/127\.0\.0\.1:1: .*\n$/);
  });

  test.each([
    [[], 'the VirtualMachine NAME is missing'],
    [['a', 'b'], 'expected one NAME, got 2: a b'],
    [['vm1', '--grace-period', '5'], '--grace-period needs --force'],
    [['vm1', '--force'], '--force needs --grace-period'],
    [['vm1', '--force', '--grace-period', 'soon'], '--grace-period must be a whole number of seconds, not "soon"'],
    [['vm1', '--bogus'], "Unknown option '--bogus'"],
  ])('stop %j is a usage error (exit 2): %s', async (args, message) => {
    const r = await run(vmActionCommand('stop'), ...args);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toContain(`virtctl stop: ${message}`);
    expect(r.err).toContain('usage: virtctl stop NAME');
    expect(api.seen).toEqual([]);
  });

  test('a missing kubeconfig file is one line, exit 2', async () => {
    const io = memoryIo();
    expect(await vmActionCommand('start').run(['vm1', '--kubeconfig', '/nonexistent/kc'], io)).toBe(2);
    expect(io.err).toMatch(/^virtctl start: cannot load the kubeconfig from \/nonexistent\/kc: .*\n$/);
  });

  test.each(['start', 'stop', 'restart'] as const)('%s --help prints its usage with the connection flags, exit 0', async (action) => {
    const io = memoryIo();
    expect(await vmActionCommand(action).run(['--help'], io)).toBe(0);
    expect(io.out).toMatch(new RegExp(`^usage: virtctl ${action} NAME`));
    expect(io.out).toContain('--kubeconfig FILE');
    expect(io.out).toContain('-n, --namespace NAME');
  });

  test('pause vm checks the VM exists, then pauses its VMI', async () => {
    api.respond = (r) => (r.method === 'GET' && r.path.endsWith('/virtualmachines/vm1') ? { code: 200, body: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'vm1' } } } : r.method === 'PUT' ? { code: 200 } : undefined);
    expect(await run(vmiActionCommand('pause'), 'vm', 'vm1')).toEqual({ code: 0, out: 'VMI vm1 was scheduled to pause\n', err: '' });
    expect(api.seen.map((s) => `${s.method} ${s.path}`)).toEqual(['GET /apis/kubevirt.io/v1/namespaces/testns/virtualmachines/vm1', `PUT ${SR}/testns/virtualmachineinstances/vm1/pause`]);
  });

  test('pause vm of a VM that does not exist names the VM', async () => {
    expect(await run(vmiActionCommand('pause'), 'vm', 'ghost')).toEqual({ code: 1, out: '', err: 'virtctl pause: VirtualMachine testns/ghost not found\n' });
  });

  test('unpause vmi goes straight to the VMI; a Conflict is one line', async () => {
    api.respond = () => status(409, 'Conflict', 'VMI is not paused');
    expect(await run(vmiActionCommand('unpause'), 'vmi', 'vm1')).toEqual({ code: 1, out: '', err: 'virtctl unpause: VMI is not paused\n' });
    expect(api.seen.map((s) => s.path)).toEqual([`${SR}/testns/virtualmachineinstances/vm1/unpause`]);
  });

  test.each([[['vm1']], [['pod', 'vm1']], [['vm']]])('pause %j is a usage error', async (args) => {
    const r = await run(vmiActionCommand('pause'), ...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain('usage: virtctl pause vm|vmi NAME');
  });
});
