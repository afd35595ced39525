import { ApiError, type KubeObject } from './api.js';
import { EventRecorder, type CoreEvent } from './events.js';
import { RESOURCES } from './resources.js';
import { captureLogger } from './testing/capture-logger.js';
import { MemoryApi } from './testing/memory-api.js';

const vmi: KubeObject = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'vmi', namespace: 'ns', uid: 'u-1', resourceVersion: '7' } };

describe('EventRecorder', () => {
  it('writes a core/v1 Event naming the object, the component and the host', async () => {
    const api = new MemoryApi();
    const { log } = captureLogger();
    const rec = new EventRecorder(api, { component: 'virt-controller', host: 'node-1', log, now: () => new Date('2026-03-04T05:06:07.890Z') });
    rec.event(vmi, 'Normal', 'SuccessfulCreate', 'Created virtual machine pod virt-launcher-vmi-abcde');
    await rec.flush();
    const [ev] = api.all<CoreEvent>(RESOURCES.events);
    expect(ev).toMatchObject({
      metadata: { namespace: 'ns' },
      involvedObject: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', name: 'vmi', namespace: 'ns', uid: 'u-1', resourceVersion: '7' },
      type: 'Normal',
      reason: 'SuccessfulCreate',
      message: 'Created virtual machine pod virt-launcher-vmi-abcde',
      count: 1,
      firstTimestamp: '2026-03-04T05:06:07Z',
      source: { component: 'virt-controller', host: 'node-1' },
      reportingComponent: 'virt-controller',
      reportingInstance: 'node-1',
    });
    expect(ev!.metadata.name).toMatch(/^vmi\.[0-9a-f]+$/);
  });

  it('aggregates the same object+reason+message into one Event with a count (PATCH)', async () => {
    const api = new MemoryApi();
    const { log } = captureLogger();
    const rec = new EventRecorder(api, { component: 'virt-controller', log });
    for (let i = 0; i < 3; i++) rec.event(vmi, 'Warning', 'FailedCreate', 'quota exceeded');
    rec.event(vmi, 'Warning', 'FailedCreate', 'other message');
    rec.event({ ...vmi, metadata: { ...vmi.metadata, uid: 'u-2' } }, 'Warning', 'FailedCreate', 'quota exceeded');
    await rec.flush();
    const events = api.all<CoreEvent>(RESOURCES.events);
    expect(events.map((e) => `${e.involvedObject.uid} ${e.message} ${e.count}`).sort()).toEqual(['u-1 other message 1', 'u-1 quota exceeded 3', 'u-2 quota exceeded 1']);
    expect(api.calls.filter((c) => c.method === 'patch')).toHaveLength(2);
  });

  it('starts a new Event when the aggregated one has expired (404 on the PATCH)', async () => {
    const api = new MemoryApi();
    const { log } = captureLogger();
    const rec = new EventRecorder(api, { component: 'c', log });
    rec.event(vmi, 'Normal', 'Started', 'started');
    await rec.flush();
    const [first] = api.all<CoreEvent>(RESOURCES.events);
    await api.delete(RESOURCES.events, 'ns', first!.metadata.name!);
    rec.event(vmi, 'Normal', 'Started', 'started');
    await rec.flush();
    expect(api.all<CoreEvent>(RESOURCES.events).map((e) => e.count)).toEqual([1]);
  });

  it('never throws: a failed write is logged and later events still go out', async () => {
    const api = new MemoryApi();
    const { log, lines } = captureLogger();
    const rec = new EventRecorder(api, { component: 'c', log });
    api.failNext('create', RESOURCES.events, new ApiError('forbidden', 403, 'Forbidden', { method: 'POST', path: '/api/v1/namespaces/ns/events' }));
    expect(() => rec.event(vmi, 'Warning', 'A', 'a')).not.toThrow();
    rec.event(vmi, 'Normal', 'B', 'b');
    await rec.flush();
    expect(lines.find((l) => l.msg === 'could not record event')).toMatchObject({ level: 'warn', name: 'vmi', reason: 'A' });
    expect(api.all<CoreEvent>(RESOURCES.events).map((e) => e.reason)).toEqual(['B']);
  });

  it('puts Events about cluster-scoped objects in "default"', async () => {
    const api = new MemoryApi();
    const { log } = captureLogger();
    const rec = new EventRecorder(api, { component: 'virt-handler', log });
    rec.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', uid: 'n' } }, 'Normal', 'KVMUnusable', 'nested KVM hangs; using TCG');
    await rec.flush();
    const [ev] = api.all<CoreEvent>(RESOURCES.events);
    expect(ev?.metadata.namespace).toBe('default');
    expect(ev?.involvedObject.namespace).toBeUndefined();
  });
});
