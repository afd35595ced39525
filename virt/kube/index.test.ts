import * as kube from './index.js';

describe('virt/kube index', () => {
  it('exports the runtime surface the processes use', () => {
    for (const name of ['Informer', 'WorkQueue', 'runController', 'enqueueHandlers', 'SyncError', 'Expectations', 'writeStatus', 'deepEqual', 'EventRecorder', 'LeaderElector', 'HttpKubeApi', 'loadKubeConfig', 'MemoryApi', 'ApiError', 'RESOURCES', 'objectKey', 'splitKey']) {
      expect(kube).toHaveProperty(name);
    }
    // A MemoryApi through the index is the same class as through its own module (one contract).
    const api: kube.KubeApi = new kube.MemoryApi();
    expect(api).toBeInstanceOf(kube.MemoryApi);
  });
});
