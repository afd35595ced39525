// The importer pod of a claim (CDI's importer-<claim>): the importer image as uid 107 with no
// capabilities, the claim at /data, the certConfigMap at /certs, the secretRef's keys as basic-auth
// environment, restarted by the kubelet on failure (its back-off is the retry's), controlled by the claim
// so it goes with it.
import { DEFAULT_FILESYSTEM_OVERHEAD, IMPORTER_CERT_DIR, IMPORTER_DATA_DIR, IMPORTER_ENV, IMPORTER_METRICS_PORT, IMPORTER_SECRET_HEADERS_DIR, IMPORTER_UID } from '../../import-contract/index.js';
import type { KubeObject } from '../../kube/api.js';
import type { PullPolicy } from '../vmi/pod-manifest.js';
import { ANN, importerPodName, LABELS, uploadPodName } from './cdi-names.js';
import { claimBytes, type PersistentVolumeClaim } from './claim.js';

export interface ImporterPodOptions {
  image: string;
  imagePullPolicy: PullPolicy;
  /** The DataVolume's uid (the progress metric's label). */
  ownerUid: string;
  /** An upload claim's pod: the upload server (CDI's cdi-upload-<claim>) instead of the importer. */
  upload?: { key: string };
}

type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } };

export interface ImporterPodManifest extends KubeObject {
  spec: Record<string, unknown> & { containers: { name: string; env: EnvVar[]; [k: string]: unknown }[]; volumes: Record<string, unknown>[] };
}

export const IMPORTER_CONTAINER = 'importer';

/** The claim's secretExtraHeaders annotation (a JSON array of Secret names); an unreadable one is none. */
function secretExtraHeadersOf(a: Record<string, string>): string[] {
  const raw = a[ANN.secretExtraHeaders];
  if (!raw) return [];
  try {
    const v = JSON.parse(raw) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
  } catch {
    return [];
  }
}

export function importerPod(pvc: PersistentVolumeClaim, o: ImporterPodOptions): ImporterPodManifest {
  const a = pvc.metadata.annotations ?? {};
  const claim = pvc.metadata.name ?? '';
  const env: EnvVar[] = [
    { name: IMPORTER_ENV.source, value: a[ANN.source] ?? 'http' },
    { name: IMPORTER_ENV.contentType, value: a[ANN.contentType] ?? 'kubevirt' },
    { name: IMPORTER_ENV.imageSize, value: String(claimBytes(pvc)) },
    { name: IMPORTER_ENV.filesystemOverhead, value: pvc.spec?.volumeMode === 'Block' ? '0' : String(DEFAULT_FILESYSTEM_OVERHEAD) },
    { name: IMPORTER_ENV.ownerUid, value: o.ownerUid },
  ];
  if (a[ANN.endpoint]) env.push({ name: IMPORTER_ENV.endpoint, value: a[ANN.endpoint] });
  if (a[ANN.preallocationRequested] === 'true') env.push({ name: IMPORTER_ENV.preallocation, value: 'true' });
  if (a[ANN.extraHeaders]) env.push({ name: IMPORTER_ENV.extraHeaders, value: a[ANN.extraHeaders] });
  const secret = a[ANN.secret];
  if (secret) {
    env.push({ name: IMPORTER_ENV.accessKeyId, valueFrom: { secretKeyRef: { name: secret, key: 'accessKeyId' } } });
    env.push({ name: IMPORTER_ENV.secretKey, valueFrom: { secretKeyRef: { name: secret, key: 'secretKey' } } });
  }
  const mounts: { name: string; mountPath: string; readOnly?: boolean }[] = [{ name: 'cdi-data-vol', mountPath: IMPORTER_DATA_DIR }];
  const volumes: Record<string, unknown>[] = [{ name: 'cdi-data-vol', persistentVolumeClaim: { claimName: claim } }];
  const secretHeaders = secretExtraHeadersOf(a);
  if (secretHeaders.length) {
    env.push({ name: IMPORTER_ENV.secretHeadersDir, value: IMPORTER_SECRET_HEADERS_DIR });
    secretHeaders.forEach((name, i) => {
      // A folder per Secret, named by its position: Secret names may repeat or clash with nothing here.
      mounts.push({ name: `cdi-secret-headers-${i}`, mountPath: `${IMPORTER_SECRET_HEADERS_DIR}/${i}`, readOnly: true });
      volumes.push({ name: `cdi-secret-headers-${i}`, secret: { secretName: name } });
    });
  }
  if (a[ANN.certConfigMap]) {
    env.push({ name: IMPORTER_ENV.certDir, value: IMPORTER_CERT_DIR });
    mounts.push({ name: 'cdi-cert-vol', mountPath: IMPORTER_CERT_DIR, readOnly: true });
    volumes.push({ name: 'cdi-cert-vol', configMap: { name: a[ANN.certConfigMap] } });
  }
  const upload = o.upload;
  if (upload) env.push({ name: 'UPLOAD_KEY', value: upload.key });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: upload ? uploadPodName(claim) : importerPodName(claim),
      ...(pvc.metadata.namespace ? { namespace: pvc.metadata.namespace } : {}),
      labels: { [LABELS.app]: LABELS.appValue, [LABELS.component]: upload ? 'cdi-upload-server' : LABELS.importerValue, 'app.kubernetes.io/part-of': 'virtstack' },
      annotations: { [ANN.createdBy]: 'yes' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: claim, uid: pvc.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      restartPolicy: 'OnFailure',
      terminationGracePeriodSeconds: 5,
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: IMPORTER_UID, runAsGroup: IMPORTER_UID, fsGroup: IMPORTER_UID, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: IMPORTER_CONTAINER,
          image: o.image,
          imagePullPolicy: o.imagePullPolicy,
          command: ['/usr/bin/tini', '-s', '--', 'node', `/opt/virtstack/dist/virt/cmd/${upload ? 'upload-server' : 'importer'}.js`],
          ...(upload ? { readinessProbe: { httpGet: { path: '/healthz', port: IMPORTER_METRICS_PORT }, periodSeconds: 2 } } : {}),
          env,
          ports: [{ name: 'metrics', containerPort: IMPORTER_METRICS_PORT, protocol: 'TCP' }],
          volumeMounts: mounts,
          // The termination message is the importer's JSON verdict; a crash before it falls back to the log tail.
          terminationMessagePolicy: 'FallbackToLogsOnError',
          // No memory limit: the image passes through the page cache, which counts against a limit, and a
          // limit below the image's size throttles the import to the disk's writeback speed (the bench's 1 GiB
          // import ran at 0.15x a plain curl + qemu-img with 512Mi). The importer's own heap stays small (it streams).
          // CDI's default requests. The CPU request is the pod's CFS share: at 10m a busy node starved the
          // importer (the bench's 1 GiB import at 0.14x a plain curl + qemu-img on the host).
          resources: { requests: { cpu: '100m', memory: '64Mi' } },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
      volumes,
    },
  };
}
