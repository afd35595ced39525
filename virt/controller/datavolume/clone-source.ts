// The source half of a host-assisted PVC clone (CDI's source pod): a pod in the source claim's namespace
// mounting it read-only and serving its disk to the target's importer. It cannot be owned across
// namespaces, so it names its DataVolume in an annotation; the controller deletes it when the clone ends
// or the DataVolume goes.
import { CLONE_SOURCE_PORT, IMPORTER_DATA_DIR, IMPORTER_UID } from '../../import-contract/index.js';
import type { KubeObject } from '../../kube/api.js';
import type { Pod } from '../../kube/core-types.js';
import type { PullPolicy } from '../vmi/pod-manifest.js';
import { ANN, LABELS } from './cdi-names.js';

/** On the source pod: "namespace/name" of the DataVolume it serves. */
export const CLONE_TARGET_ANNOTATION = 'virtstack.io/clone-target';
/** On the target claim: the per-clone token in the source pod's URL. */
export const CLONE_TOKEN_ANNOTATION = 'virtstack.io/clone-token';
/** CDI's annotation on a clone target claim: "namespace/name" of the source claim. */
export const CLONE_REQUEST_ANNOTATION = 'k8s.io/CloneRequest';

/** CDI's source pod name: <target DataVolume uid>-source-pod. */
export const cloneSourcePodName = (targetUid: string): string => `${targetUid}-source-pod`;

export function cloneTargetOf(pod: Pod): string | undefined {
  return pod.metadata.annotations?.[CLONE_TARGET_ANNOTATION];
}

export function cloneSourcePod(src: KubeObject, target: { key: string; uid: string }, token: string, o: { image: string; imagePullPolicy: PullPolicy }): Pod {
  const claim = src.metadata.name ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: cloneSourcePodName(target.uid),
      ...(src.metadata.namespace ? { namespace: src.metadata.namespace } : {}),
      labels: { [LABELS.app]: LABELS.appValue, [LABELS.component]: 'cdi-clone-source', 'app.kubernetes.io/part-of': 'virtstack' },
      annotations: { [ANN.createdBy]: 'yes', [CLONE_TARGET_ANNOTATION]: target.key },
    },
    spec: {
      restartPolicy: 'OnFailure',
      terminationGracePeriodSeconds: 5,
      automountServiceAccountToken: false,
      // A stranded source pod (its DataVolume deleted while the controller was away) ends by itself.
      activeDeadlineSeconds: 6 * 3600,
      securityContext: { runAsNonRoot: true, runAsUser: IMPORTER_UID, runAsGroup: IMPORTER_UID, fsGroup: IMPORTER_UID, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{
        name: 'cdi-clone-source',
        image: o.image,
        imagePullPolicy: o.imagePullPolicy,
        command: ['/usr/bin/tini', '-s', '--', 'node', '/opt/virtstack/dist/virt/cmd/clone-source.js'],
        env: [{ name: 'CLONE_TOKEN', value: token }],
        ports: [{ name: 'clone', containerPort: CLONE_SOURCE_PORT, protocol: 'TCP' }],
        readinessProbe: { httpGet: { path: '/healthz', port: CLONE_SOURCE_PORT }, periodSeconds: 2 },
        volumeMounts: [{ name: 'source', mountPath: IMPORTER_DATA_DIR, readOnly: true }],
        resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '256Mi' } },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      }],
      volumes: [{ name: 'source', persistentVolumeClaim: { claimName: claim, readOnly: true } }],
    },
  };
}
