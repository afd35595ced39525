// The core/v1 Pod fields the controller writes into a launcher pod, typed so the template cannot misspell
// one. Only what the template uses; the API server fills the rest with its defaults.
import type { KubeObject } from '../../kube/api.js';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  procMount?: string;
  seccompProfile?: { type: string; localhostProfile?: string };
  appArmorProfile?: { type: string; localhostProfile?: string };
  seLinuxOptions?: { user?: string; role?: string; type?: string; level?: string };
  windowsOptions?: { hostProcess?: boolean };
}

export interface PodSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  fsGroup?: number;
  sysctls?: { name: string; value: string }[];
  seccompProfile?: { type: string; localhostProfile?: string };
  appArmorProfile?: { type: string; localhostProfile?: string };
  seLinuxOptions?: { user?: string; role?: string; type?: string; level?: string };
  windowsOptions?: { hostProcess?: boolean };
}

export interface ResourceRequirements {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: PullPolicy;
  command?: string[];
  args?: string[];
  env?: { name: string; value: string }[];
  ports?: { containerPort: number; hostPort?: number; protocol?: string; name?: string }[];
  resources?: ResourceRequirements;
  securityContext?: SecurityContext;
  volumeMounts?: VolumeMount[];
  terminationMessagePolicy?: 'File' | 'FallbackToLogsOnError';
}

export interface PodVolume {
  name: string;
  emptyDir?: { medium?: string; sizeLimit?: string };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  secret?: { secretName: string; defaultMode?: number; optional?: boolean };
  hostPath?: { path: string; type?: string };
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: PodVolume[];
  securityContext?: PodSecurityContext;
  shareProcessNamespace?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  hostname?: string;
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  terminationGracePeriodSeconds?: number;
  nodeSelector?: Record<string, string>;
  affinity?: Record<string, unknown>;
  tolerations?: Record<string, unknown>[];
  imagePullSecrets?: { name: string }[];
  automountServiceAccountToken?: boolean;
  enableServiceLinks?: boolean;
  nodeName?: string;
}

export interface PodManifest extends KubeObject {
  apiVersion: 'v1';
  kind: 'Pod';
  spec: PodSpec;
}
