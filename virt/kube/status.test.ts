import { isConflict, type KubeObject } from './api.js';
import { RESOURCES } from './resources.js';
import { deepFreeze } from './store.js';
import { MemoryApi } from './testing/memory-api.js';
import { writeStatus } from './status.js';

interface Vm extends KubeObject {
  spec: { running: boolean };
  status?: { ready?: boolean; printableStatus?: string; conditions?: { type: string; status: string }[] };
}
const VMS = RESOURCES.virtualMachines;

describe('writeStatus', () => {
  it('writes only when the status differs, from a frozen cached object', async () => {
    const api = new MemoryApi();
    const vm = deepFreeze(api.seed<Vm>(VMS, { metadata: { name: 'vm', namespace: 'ns' }, spec: { running: true }, status: { printableStatus: 'Stopped' } }));
    const written = await writeStatus(api, VMS, vm, { printableStatus: 'Running', ready: true });
    expect(written?.status).toEqual({ printableStatus: 'Running', ready: true });
    const writes = () => api.calls.filter((c) => c.method === 'updateStatus').length;
    expect(writes()).toBe(1);
    // Same content, other key order, an undefined field: no write.
    expect(await writeStatus(api, VMS, written!, { ready: true, printableStatus: 'Running', conditions: undefined })).toBeUndefined();
    expect(writes()).toBe(1);
  });

  it('a stale cached object surfaces the 409 instead of overwriting', async () => {
    const api = new MemoryApi();
    const stale = api.seed<Vm>(VMS, { metadata: { name: 'vm', namespace: 'ns' }, spec: { running: true } });
    await api.updateStatus(VMS, { ...stale, status: { printableStatus: 'Starting' } });
    const err = await writeStatus(api, VMS, stale, { printableStatus: 'Stopped' }).catch((e: unknown) => e);
    expect(isConflict(err)).toBe(true);
    expect((await api.get<Vm>(VMS, 'ns', 'vm')).status).toEqual({ printableStatus: 'Starting' });
  });
});

// Compile-time checks: a literal status is checked against the kind's status type (these lines fail `tsc` otherwise).
export async function typeChecks(api: MemoryApi, vm: Vm): Promise<void> {
  await writeStatus(api, VMS, vm, { ready: true });
  // @ts-expect-error printableStatus is a string
  await writeStatus(api, VMS, vm, { printableStatus: 1 });
  // @ts-expect-error no such field in the VM's status
  await writeStatus(api, VMS, vm, { nope: true });
  const typed: NonNullable<Vm['status']> = { printableStatus: 'Running' };
  const written: Vm | undefined = await writeStatus<NonNullable<Vm['status']>, Vm>(api, VMS, vm, typed);
  void written;
}
