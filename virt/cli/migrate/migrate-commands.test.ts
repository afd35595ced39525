import { fakeApiserver, status, type FakeApiserver } from '../testing/fake-apiserver.js';
import { runInMemory } from '../testing/memory-io.js';
import { migrateCommand } from './migrate-commands.js';

const KV = '/apis/kubevirt.io/v1/namespaces/testns';

describe('virtctl migrate, migrate-cancel', () => {
  let api: FakeApiserver;
  beforeEach(async () => {
    api = await fakeApiserver();
  });
  afterEach(async () => {
    await api.close();
  });
  const run = (action: 'migrate' | 'migrate-cancel', ...args: string[]) => runInMemory(migrateCommand(action), ['--kubeconfig', api.kubeconfig, ...args]);

  test('migrate creates a VMIM of the VMI, named by the server', async () => {
    api.respond = (r) => {
      if (r.method === 'GET') return { code: 200, body: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'vm1', namespace: 'testns' } } };
      if (r.method === 'POST') return { code: 201, body: { ...(r.body as object), metadata: { name: 'kubevirt-migrate-vm-abcde', namespace: 'testns' } } };
      return undefined;
    };
    expect(await run('migrate', 'vm1')).toEqual({ code: 0, out: 'VM vm1 was scheduled to migrate (VirtualMachineInstanceMigration kubevirt-migrate-vm-abcde)\n', err: '' });
    expect(api.seen[1]).toMatchObject({ method: 'POST', path: `${KV}/virtualmachineinstancemigrations`, body: { kind: 'VirtualMachineInstanceMigration', metadata: { generateName: 'kubevirt-migrate-vm-' }, spec: { vmiName: 'vm1' } } });
  });

  test('migrate of a VM that does not run, and the webhook\'s refusal, are one line with exit 1', async () => {
    api.respond = () => status(404, 'NotFound', 'virtualmachineinstances.kubevirt.io "vm1" not found');
    expect(await run('migrate', 'vm1')).toEqual({ code: 1, out: '', err: 'virtctl migrate: VirtualMachineInstance testns/vm1 not found: is the VM running?\n' });
    api.respond = (r) => r.method === 'GET'
      ? { code: 200, body: { metadata: { name: 'vm1' } } }
      : status(422, 'Invalid', 'admission webhook "migration-validator.kubevirt.io" denied the request: Cannot migrate VMI, Reason: DisksNotLiveMigratable');
    const r = await run('migrate', 'vm1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^virtctl migrate: .*DisksNotLiveMigratable\n$/);
  });

  test('migrate-cancel deletes the unfinished migration only', async () => {
    api.respond = (r) => {
      if (r.method === 'GET') return { code: 200, body: { apiVersion: 'v1', kind: 'List', metadata: {}, items: [
        { metadata: { name: 'old' }, spec: { vmiName: 'vm1' }, status: { phase: 'Succeeded' } },
        { metadata: { name: 'cur' }, spec: { vmiName: 'vm1' }, status: { phase: 'Running' } },
        { metadata: { name: 'other' }, spec: { vmiName: 'vm2' }, status: { phase: 'Running' } },
      ] } };
      if (r.method === 'DELETE') return { code: 200, body: {} };
      return undefined;
    };
    expect(await run('migrate-cancel', 'vm1')).toEqual({ code: 0, out: 'VM vm1 was scheduled to migrate-cancel (VirtualMachineInstanceMigration cur)\n', err: '' });
    expect(api.seen.filter((s) => s.method === 'DELETE').map((s) => s.path)).toEqual([`${KV}/virtualmachineinstancemigrations/cur`]);
    expect((await run('migrate-cancel', 'vm2', '--dry-run')).out).toBe('VM vm2 was scheduled to migrate-cancel (VirtualMachineInstanceMigration other) (dry run: nothing changed)\n');
    expect((await run('migrate-cancel', 'vm3')).err).toBe('virtctl migrate-cancel: VM testns/vm3 has no unfinished migration to cancel\n');
  });

  test('--help and usage errors', async () => {
    expect((await run('migrate', '--help')).out).toMatch(/^usage: virtctl migrate NAME \[options\][\s\S]*--kubeconfig/);
    const r = await run('migrate');
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('virtctl migrate: expected one VM NAME, got nothing');
  });
});
