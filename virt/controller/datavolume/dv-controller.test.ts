// The DataVolume controller against the in-memory API: the claim it makes, WaitForFirstConsumer, the
// importer pod and the phases, conditions, progress and restartCount CDI shows while it runs, fails,
// restarts and completes.
import type { DataVolume } from '../../api/index.js';
import { IMPORTER_ENV } from '../../import-contract/index.js';
import type { Pod } from '../../kube/core-types.js';
import { RESOURCES } from '../../kube/resources.js';
import { Harness, NS } from '../testing/harness.js';
import { ANN, importerPodName } from './cdi-names.js';
import type { PersistentVolumeClaim } from './claim.js';
import { STORAGE_CLASSES, type StorageClass } from './storage-class.js';

let progress: number | undefined;
let h: Harness;

function seedClasses(mode: 'Immediate' | 'WaitForFirstConsumer'): void {
  h.api.seed<StorageClass>(STORAGE_CLASSES, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'rancher.io/local-path', volumeBindingMode: mode });
}

function dataVolume(name: string, over: Partial<DataVolume['spec']> = {}, annotations?: Record<string, string>): DataVolume {
  return {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: { name, namespace: NS, ...(annotations ? { annotations } : {}) },
    spec: { source: { http: { url: 'http://images.example/disk.qcow2', secretRef: 'creds', certConfigMap: 'ca' } }, storage: { resources: { requests: { storage: '1Gi' } } }, ...over },
  };
}

const dv = (name = 'dv1') => h.api.all<DataVolume>(RESOURCES.dataVolumes).find((d) => d.metadata.name === name);
const pvc = (name = 'dv1') => h.api.all<PersistentVolumeClaim>(RESOURCES.persistentVolumeClaims).find((d) => d.metadata.name === name);
const importer = (name = 'dv1') => h.api.all<Pod>(RESOURCES.pods).find((p) => p.metadata.name === importerPodName(name));
const cond = (d: DataVolume | undefined, type: string) => d?.status?.conditions?.find((c) => c.type === type);

async function bindClaim(name = 'dv1'): Promise<void> {
  const cur = await h.api.get<PersistentVolumeClaim>(RESOURCES.persistentVolumeClaims, NS, name);
  await h.api.updateStatus(RESOURCES.persistentVolumeClaims, { ...cur, status: { phase: 'Bound', capacity: { storage: cur.spec?.resources?.requests?.storage ?? '' } } });
}

async function containerState(name: string, state: NonNullable<NonNullable<Pod['status']>['containerStatuses']>[number], phase: 'Running' | 'Succeeded' = 'Running'): Promise<void> {
  const cur = await h.api.get<Pod>(RESOURCES.pods, NS, importerPodName(name));
  await h.api.updateStatus<Pod>(RESOURCES.pods, { ...cur, status: { phase, podIP: '10.214.1.50', containerStatuses: [state] } });
}

/** DataVolume dv1 on an Immediate class, its claim bound: resolves with the importer pod the controller made. */
async function startImport(): Promise<Pod> {
  seedClasses('Immediate');
  h.start();
  await h.api.create(RESOURCES.dataVolumes, dataVolume('dv1'));
  await h.until('claim', () => pvc());
  await bindClaim();
  return h.until('importer pod', () => importer());
}

beforeEach(() => {
  progress = undefined;
  h = new Harness({ fetchProgress: () => Promise.resolve(progress) });
});
afterEach(() => h.stop());

describe('DataVolume controller', () => {
  it('makes the claim from spec.storage with the class defaults and the filesystem overhead, owned by the DataVolume', async () => {
    seedClasses('Immediate');
    h.start();
    await h.api.create(RESOURCES.dataVolumes, dataVolume('dv1'));
    const c = await h.until('claim', () => pvc());
    expect(c.spec).toEqual({ accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem', storageClassName: 'local-path', resources: { requests: { storage: '1084Mi' } } });
    expect(c.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'DataVolume', name: 'dv1', uid: dv()!.metadata.uid, controller: true });
    expect(c.metadata.annotations).toMatchObject({ [ANN.source]: 'http', [ANN.endpoint]: 'http://images.example/disk.qcow2', [ANN.secret]: 'creds', [ANN.certConfigMap]: 'ca', [ANN.contentType]: 'kubevirt' });
    await h.until('Pending with Bound=False', () => dv()?.status?.phase === 'Pending' && cond(dv(), 'Bound')?.reason === 'Pending');
    // An Immediate class binds the claim by itself: no importer before that.
    expect(importer()).toBeUndefined();
    await bindClaim();
    await h.until('importer pod once bound', () => importer());
  });

  it('passes extraHeaders to the importer and mounts each secretExtraHeaders Secret in a folder of its own', async () => {
    seedClasses('Immediate');
    h.start();
    await h.api.create(RESOURCES.dataVolumes, dataVolume('dv1', { source: { http: { url: 'http://images.example/disk.qcow2', extraHeaders: ['X-Tenant: t1'], secretExtraHeaders: ['token', 'zone'] } } }));
    const c = await h.until('claim', () => pvc());
    expect(c.metadata.annotations).toMatchObject({ [ANN.extraHeaders]: '["X-Tenant: t1"]', [ANN.secretExtraHeaders]: '["token","zone"]' });
    await bindClaim();
    const pod = await h.until('importer pod', () => importer());
    const ctr = pod.spec!.containers![0]! as unknown as { env: { name: string; value?: string }[]; volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[] };
    const env = Object.fromEntries(ctr.env.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ [IMPORTER_ENV.extraHeaders]: '["X-Tenant: t1"]', [IMPORTER_ENV.secretHeadersDir]: '/extraheaders' });
    expect(ctr.volumeMounts.filter((m) => m.mountPath.startsWith('/extraheaders'))).toEqual([
      { name: 'cdi-secret-headers-0', mountPath: '/extraheaders/0', readOnly: true },
      { name: 'cdi-secret-headers-1', mountPath: '/extraheaders/1', readOnly: true },
    ]);
    expect((pod.spec as { volumes: Record<string, unknown>[] }).volumes.filter((v) => String(v.name).startsWith('cdi-secret-headers'))).toEqual([
      { name: 'cdi-secret-headers-0', secret: { secretName: 'token' } },
      { name: 'cdi-secret-headers-1', secret: { secretName: 'zone' } },
    ]);
  });

  it('waits for the first consumer on a late-binding class, unless immediate binding is asked for', async () => {
    seedClasses('WaitForFirstConsumer');
    h.start();
    await h.api.create(RESOURCES.dataVolumes, dataVolume('dv1'));
    await h.until('WaitForFirstConsumer', () => dv()?.status?.phase === 'WaitForFirstConsumer');
    expect(importer()).toBeUndefined();
    expect(cond(dv(), 'Bound')).toMatchObject({ status: 'False', reason: 'Pending', message: 'PVC dv1 Pending' });
    await h.api.create(RESOURCES.dataVolumes, dataVolume('dv2', {}, { [ANN.immediateBinding]: 'true' }));
    await h.until('importer pod of dv2', () => importer('dv2'));
    // The scheduler picking a node for dv1's consumer starts its import too.
    await h.api.patch(RESOURCES.persistentVolumeClaims, NS, 'dv1', { metadata: { annotations: { [ANN.selectedNode]: 'node-1' } } }, 'merge');
    await h.until('importer pod of dv1', () => importer('dv1'));
  });

  it('runs the importer: ImportScheduled, ImportInProgress with progress, Succeeded; the pod goes', async () => {
    const pod = await startImport();
    expect(pod.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'PersistentVolumeClaim', name: 'dv1', controller: true });
    const c = pod.spec!.containers![0]! as unknown as { env: { name: string; value?: string; valueFrom?: unknown }[]; volumeMounts: { mountPath: string }[] };
    const env = Object.fromEntries(c.env.map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({ [IMPORTER_ENV.endpoint]: 'http://images.example/disk.qcow2', [IMPORTER_ENV.imageSize]: String(1084 * 2 ** 20), [IMPORTER_ENV.ownerUid]: dv()!.metadata.uid, [IMPORTER_ENV.certDir]: '/certs' });
    expect(env[IMPORTER_ENV.accessKeyId]).toEqual({ secretKeyRef: { name: 'creds', key: 'accessKeyId' } });
    expect(c.volumeMounts.map((m) => m.mountPath)).toEqual(['/data', '/certs']);
    await h.until('ImportScheduled', () => dv()?.status?.phase === 'ImportScheduled' && cond(dv(), 'Bound')?.status === 'True');

    progress = 42;
    await containerState('dv1', { name: 'importer', ready: true, restartCount: 0, state: { running: { startedAt: '2026-03-01T10:00:05Z' } } });
    await h.until('42.00%', () => dv()?.status?.phase === 'ImportInProgress' && dv()?.status?.progress === '42.00%');
    expect(cond(dv(), 'Running')).toMatchObject({ status: 'True', reason: 'Pod is running' });
    expect(cond(dv(), 'Ready')).toMatchObject({ status: 'False', reason: 'TransferRunning' });
    progress = 87.5;
    await h.until('87.50% (read again while it runs)', () => dv()?.status?.progress === '87.50%', 5000);

    await containerState('dv1', { name: 'importer', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', message: '{"message":"Import Complete"}' } } }, 'Succeeded');
    await h.until('Succeeded', () => dv()?.status?.phase === 'Succeeded');
    expect(dv()!.status).toMatchObject({ progress: '100.0%', claimName: 'dv1', restartCount: 0 });
    expect(cond(dv(), 'Ready')?.status).toBe('True');
    expect(cond(dv(), 'Running')).toMatchObject({ status: 'False', reason: 'Completed', message: 'Import Complete' });
    expect(pvc()!.metadata.annotations![ANN.podPhase]).toBe('Succeeded');
    await h.until('importer pod deleted', () => !importer() || importer()!.metadata.deletionTimestamp !== undefined);
    expect(h.events('ImportSucceeded').map((e) => e.message)).toEqual(['Successfully imported into PVC dv1']);
  });

  it('a failing importer: Running=False with its message, restartCount counting kubelet restarts and lost pods', async () => {
    await startImport();
    await containerState('dv1', { name: 'importer', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', message: '{"message":"HTTP 404 Not Found from http://images.example/disk.qcow2"}' } } });
    await h.until('restartCount 2', () => dv()?.status?.restartCount === 2);
    expect(dv()!.status!.phase).toBe('ImportInProgress');
    expect(cond(dv(), 'Running')).toMatchObject({ status: 'False', reason: 'Error', message: 'HTTP 404 Not Found from http://images.example/disk.qcow2' });
    // The pod is killed: a new one, and the restarts so far plus this one are kept.
    const old = importer()!;
    await h.api.delete(RESOURCES.pods, NS, old.metadata.name!, { gracePeriodSeconds: 0 });
    await h.until('a new importer pod', () => importer() && importer()!.metadata.uid !== old.metadata.uid);
    await h.until('restartCount 3', () => dv()?.status?.restartCount === 3);
    await containerState('dv1', { name: 'importer', ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', message: '{"message":"x"}' } } });
    await h.until('restartCount 4', () => dv()?.status?.restartCount === 4);
  });

  it('a fatal failure (the image does not fit) ends Failed with both sizes, the pod deleted', async () => {
    await startImport();
    const msg = "the disk image's virtual size is 2 GiB (2147483648 bytes), larger than the 1 GiB (1073741824 bytes) the claim of 1084 MiB (1136656384 bytes) can hold";
    await containerState('dv1', { name: 'importer', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error', message: JSON.stringify({ message: msg, fatal: true }) } } });
    await h.until('Failed', () => dv()?.status?.phase === 'Failed');
    expect(cond(dv(), 'Running')).toMatchObject({ status: 'False', reason: 'Error', message: msg });
    await h.until('importer pod deleted', () => !importer());
    expect(h.events('ImportFailed')).toHaveLength(1);
  });

  it('a fatal verdict stands when the kubelet has restarted the importer before the controller saw it exit', async () => {
    await startImport();
    const msg = 'the qcow2 image has a backing file; import a standalone image (qemu-img convert it first)';
    await containerState('dv1', { name: 'importer', ready: true, restartCount: 1, state: { running: { startedAt: '2026-03-01T10:00:05Z' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', message: JSON.stringify({ message: msg, fatal: true }) } } });
    await h.until('Failed', () => dv()?.status?.phase === 'Failed');
    expect(cond(dv(), 'Running')).toMatchObject({ status: 'False', reason: 'Error', message: msg });
  });

  it('a blank DataVolume runs the importer with source none; a claim it does not own is reported', async () => {
    seedClasses('WaitForFirstConsumer');
    h.api.seed<PersistentVolumeClaim>(RESOURCES.persistentVolumeClaims, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'taken', namespace: NS }, spec: {} });
    h.start();
    await h.api.create(RESOURCES.dataVolumes, dataVolume('blank', { source: { blank: {} } }, { [ANN.immediateBinding]: 'true' }));
    const pod = await h.until('importer pod', () => importer('blank'));
    const env = (pod.spec!.containers![0]! as unknown as { env: { name: string; value?: string }[] }).env;
    expect(env.find((e) => e.name === IMPORTER_ENV.source)?.value).toBe('none');
    await h.api.create(RESOURCES.dataVolumes, dataVolume('taken'));
    await h.until('ErrResourceExists', () => cond(dv('taken'), 'Bound')?.reason === 'ErrResourceExists');
    expect(cond(dv('taken'), 'Bound')?.message).toBe('Resource "taken" already exists and is not managed by DataVolume');
  });

  it('a spec.pvc without a size names the field', async () => {
    seedClasses('Immediate');
    h.start();
    await h.api.create(RESOURCES.dataVolumes, dataVolume('nosize', { storage: undefined, pvc: { accessModes: ['ReadWriteOnce'] } }));
    await h.until('ErrClaimNotValid', () => cond(dv('nosize'), 'Bound')?.reason === 'ErrClaimNotValid');
    expect(cond(dv('nosize'), 'Bound')?.message).toBe('spec.pvc.resources.requests.storage: is required');
  });

  it('clones a claim: target sized like the source, a source pod serving it, the importer downloading from it, CloneScheduled to Succeeded', async () => {
    seedClasses('Immediate');
    h.api.seed<PersistentVolumeClaim>(RESOURCES.persistentVolumeClaims, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'golden', namespace: 'images' }, spec: { resources: { requests: { storage: '68Mi' } } }, status: { phase: 'Bound' } });
    h.start();
    // Admission decided whether its writer may clone from images; the controller just clones.
    await h.api.create(RESOURCES.dataVolumes, dataVolume('copy', { source: { pvc: { namespace: 'images', name: 'golden' } }, storage: {} }));
    const c = await h.until('target claim', () => pvc('copy'), 8000);
    expect(c.spec?.resources?.requests?.storage).toBe('68Mi');
    expect(c.metadata.annotations?.['k8s.io/CloneRequest']).toBe('images/golden');
    await bindClaim('copy');
    const src = await h.until('source pod', () => h.api.all<Pod>(RESOURCES.pods).find((p) => p.metadata.namespace === 'images'));
    expect(src.metadata.name).toBe(`${dv('copy')!.metadata.uid}-source-pod`);
    expect((src.spec as { volumes: { persistentVolumeClaim: { claimName: string; readOnly: boolean } }[] }).volumes[0]!.persistentVolumeClaim).toEqual({ claimName: 'golden', readOnly: true });
    await h.until('CloneScheduled', () => dv('copy')?.status?.phase === 'CloneScheduled');
    expect(importer('copy')).toBeUndefined();
    const cur = await h.api.get<Pod>(RESOURCES.pods, 'images', src.metadata.name!);
    await h.api.updateStatus<Pod>(RESOURCES.pods, { ...cur, status: { phase: 'Running', podIP: '10.214.2.9', conditions: [{ type: 'Ready', status: 'True' }] } });
    const target = await h.until('target importer', () => importer('copy'));
    const token = pvc('copy')!.metadata.annotations!['virtstack.io/clone-token']!;
    const env = (target.spec!.containers![0]! as unknown as { env: { name: string; value?: string }[] }).env;
    expect(env.find((e) => e.name === IMPORTER_ENV.endpoint)?.value).toBe(`http://10.214.2.9:8080/${token}/disk.img`);
    await containerState('copy', { name: 'importer', ready: true, restartCount: 0, state: { running: {} } });
    await h.until('CloneInProgress', () => dv('copy')?.status?.phase === 'CloneInProgress');
    await containerState('copy', { name: 'importer', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', message: '{"message":"Import Complete"}' } } }, 'Succeeded');
    await h.until('Succeeded', () => dv('copy')?.status?.phase === 'Succeeded');
    await h.until('source pod deleted', () => !h.api.all<Pod>(RESOURCES.pods).some((p) => p.metadata.namespace === 'images'));
    expect(h.events('CloneSucceeded').map((e) => e.message)).toEqual([`Successfully cloned from images/golden into ${NS}/copy`]);
  }, 20_000);

  it('a clone of a missing claim says so and waits', async () => {
    seedClasses('Immediate');
    h.start();
    await h.api.create(RESOURCES.dataVolumes, dataVolume('orphan', { source: { pvc: { namespace: NS, name: 'nothing' } } }));
    await h.until('CloneWithoutSource', () => cond(dv('orphan'), 'Running')?.reason === 'CloneWithoutSource');
    expect(cond(dv('orphan'), 'Running')?.message).toBe(`the source claim ${NS}/nothing does not exist; create it or fix spec.source.pvc`);
  });

  it('an upload DataVolume: the upload server pod with the claim\'s key, UploadScheduled, UploadReady once ready, Succeeded', async () => {
    seedClasses('WaitForFirstConsumer');
    h.start();
    await h.api.create(RESOURCES.dataVolumes, dataVolume('up', { source: { upload: {} } }, { [ANN.immediateBinding]: 'true' }));
    const pod = await h.until('upload pod', () => h.api.all<Pod>(RESOURCES.pods).find((p) => p.metadata.name === 'cdi-upload-up'));
    const key = pvc('up')!.metadata.annotations![ANN.uploadKey]!;
    expect(key).toMatch(/^[0-9a-f]{48}$/);
    expect(pvc('up')!.metadata.annotations![ANN.uploadRequest]).toBe('');
    const c = pod.spec!.containers![0]! as unknown as { command: string[]; env: { name: string; value?: string }[]; readinessProbe?: unknown };
    expect(c.command.at(-1)).toBe('/opt/virtstack/dist/virt/cmd/upload-server.js');
    expect(c.env.find((e) => e.name === 'UPLOAD_KEY')?.value).toBe(key);
    expect(c.readinessProbe).toBeDefined();
    const set = async (ready: boolean, state: object, phase: 'Running' | 'Succeeded' = 'Running') => {
      const cur = await h.api.get<Pod>(RESOURCES.pods, NS, 'cdi-upload-up');
      await h.api.updateStatus<Pod>(RESOURCES.pods, { ...cur, status: { phase, podIP: '10.214.1.7', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], containerStatuses: [{ name: 'importer', ready, restartCount: 0, state }] } });
    };
    await set(false, { running: {} });
    await h.until('UploadScheduled', () => dv('up')?.status?.phase === 'UploadScheduled');
    await set(true, { running: {} });
    await h.until('UploadReady', () => dv('up')?.status?.phase === 'UploadReady');
    await set(false, { terminated: { exitCode: 0, reason: 'Completed', message: '{"message":"Import Complete"}' } }, 'Succeeded');
    await h.until('Succeeded', () => dv('up')?.status?.phase === 'Succeeded');
  });

  it('spec.preallocation reaches the importer, and its report lands on the claim', async () => {
    seedClasses('WaitForFirstConsumer');
    h.start();
    await h.api.create(RESOURCES.dataVolumes, dataVolume('pre', { preallocation: true }, { [ANN.immediateBinding]: 'true' }));
    const pod = await h.until('importer pod', () => importer('pre'));
    const env = (pod.spec!.containers![0]! as unknown as { env: { name: string; value?: string }[] }).env;
    expect(env.find((e) => e.name === IMPORTER_ENV.preallocation)?.value).toBe('true');
    await containerState('pre', { name: 'importer', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', message: '{"message":"Import Complete","preallocationApplied":true}' } } }, 'Succeeded');
    await h.until('Succeeded', () => dv('pre')?.status?.phase === 'Succeeded');
    expect(pvc('pre')!.metadata.annotations![ANN.preallocationApplied]).toBe('true');
  });

  it('a clone waits while a VM\'s launcher pod uses the source claim', async () => {
    seedClasses('Immediate');
    h.api.seed<PersistentVolumeClaim>(RESOURCES.persistentVolumeClaims, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'busy', namespace: NS }, spec: { resources: { requests: { storage: '68Mi' } } }, status: { phase: 'Bound' } });
    h.api.seed<Pod>(RESOURCES.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'virt-launcher-vm-x', namespace: NS, labels: { 'kubevirt.io': 'virt-launcher' } }, spec: { volumes: [{ name: 'root', persistentVolumeClaim: { claimName: 'busy' } }] } as Pod['spec'], status: { phase: 'Running' } });
    h.start();
    await h.api.create(RESOURCES.dataVolumes, dataVolume('busy-copy', { source: { pvc: { namespace: NS, name: 'busy' } }, storage: {} }));
    await h.until('CloneSourceInUse', () => cond(dv('busy-copy'), 'Running')?.reason === 'CloneSourceInUse');
    expect(cond(dv('busy-copy'), 'Running')?.message).toBe(`pod ${NS}/virt-launcher-vm-x is using the source claim ${NS}/busy; stop the VM to clone its disk`);
    expect(pvc('busy-copy')).toBeUndefined();
    await h.api.delete(RESOURCES.pods, NS, 'virt-launcher-vm-x', { gracePeriodSeconds: 0 });
    await h.until('target claim once the VM is gone', () => pvc('busy-copy'), 8000);
  }, 20_000);
});
