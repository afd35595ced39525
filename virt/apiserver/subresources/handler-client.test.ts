import { RESOURCES } from '../../kube/resources.js';
import { MemoryApi } from '../../kube/testing/index.js';
import { fromHandlerError, podHandlerLocator } from './handler-client.js';

const pod = (name: string, node: string, o: { ready?: boolean; phase?: string; ip?: string; labels?: Record<string, string> } = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'virtstack', labels: o.labels ?? { 'kubevirt.io': 'virt-handler' } },
  spec: { nodeName: node },
  status: { phase: o.phase ?? 'Running', podIP: o.ip ?? '10.0.0.1', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
});

describe('podHandlerLocator', () => {
  test("the Ready handler pod of the VMI's node, on the endpoint port", async () => {
    const api = new MemoryApi();
    api.seed(RESOURCES.pods, pod('h-old', 'node-1', { ready: false, ip: '10.0.0.9' }) as never);
    api.seed(RESOURCES.pods, pod('h-new', 'node-1', { ip: '10.0.0.2' }) as never);
    api.seed(RESOURCES.pods, pod('h-other', 'node-2', { ip: '10.0.0.3' }) as never);
    api.seed(RESOURCES.pods, pod('not-a-handler', 'node-1', { ip: '10.0.0.4', labels: { app: 'x' } }) as never);
    expect(await podHandlerLocator(api, 'virtstack').forNode('node-1')).toEqual({ host: '10.0.0.2', port: 8186, node: 'node-1' });
  });

  test('no running handler on the node: 503 naming the node and how handlers are found', async () => {
    const api = new MemoryApi();
    api.seed(RESOURCES.pods, pod('h', 'node-1', { phase: 'Pending' }) as never);
    await expect(podHandlerLocator(api, 'virtstack').forNode('node-1')).rejects.toMatchObject({
      code: 503,
      reason: 'ServiceUnavailable',
      message: 'no virt-handler pod is running on node node-1 (pods with label kubevirt.io=virt-handler in namespace virtstack)',
    });
  });
});

describe('fromHandlerError', () => {
  test("the handler's 404/409/400 keep their meaning; anything else is the api's internal error", () => {
    expect(fromHandlerError(409, '{"code":409,"reason":"Conflict","message":"VirtualMachineInstance ns/vm is not running"}', 'vm').toStatus()).toMatchObject({
      code: 409, reason: 'Conflict', message: 'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "vm": VirtualMachineInstance ns/vm is not running',
    });
    expect(fromHandlerError(404, '{"message":"VirtualMachineInstance ns/vm does not run on node node-1"}', 'vm').toStatus()).toMatchObject({ code: 404, reason: 'NotFound' });
    expect(fromHandlerError(400, 'bad', 'vm').toStatus()).toMatchObject({ code: 400, message: 'bad' });
    expect(fromHandlerError(502, '', 'vm').toStatus()).toMatchObject({ code: 500, reason: 'InternalError', message: 'Internal error occurred: virt-handler: virt-handler answered 502' });
  });
});
