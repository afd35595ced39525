// The launcher pod of a VMI (upstream's virt-launcher pod template, virtstack's layout): one unprivileged
// `compute` container running the launcher as uid 107, a `volume<name>` container per containerDisk that
// only holds the image's filesystem open (the launcher reads the disk through /proc/<pid>/root in the
// shared PID namespace — no copy), and the VMI's scheduling constraints. Pure: same VMI, same pod.
import { createHash } from 'node:crypto';
import type { VirtualMachineInstance, VirtualMachineInstanceSpec } from '../../api/index.js';
import { defaultVmiSpec, gracePeriodSecondsOf } from '../../api/defaults/index.js';
import { RESOURCES, apiVersionOf } from '../../kube/resources.js';
import { HOLD_BINARY, KERNEL_BOOT_MARKER, containerDiskMarker, holdCommand, launcherCommand } from '../../protocol/launcher-command.js';
import { LABELS, LAUNCHER_POD, LAUNCHER_UID, VM_VOLUME_MOUNTS } from '../../protocol/launcher-pod.js';
import { launcherResources } from './launcher-resources.js';
import type { Container, PodManifest, PodVolume, PullPolicy, SecurityContext, VolumeMount } from './pod-manifest.js';

/** Where the launcher image keeps the static hold binary (images/launcher-base). */
export const HOLD_BINARY_IN_IMAGE = '/usr/local/bin/virtstack-hold';

/** emptyDir the init container copies the hold binary into (HOLD_BINARY is in it), read-only in the disk containers. */
export const HOLD_VOLUME = 'hold';
export const HOLD_MOUNT_PATH = HOLD_BINARY.slice(0, HOLD_BINARY.lastIndexOf('/'));
export const KERNEL_BOOT_CONTAINER = 'kernel-boot';
export const HOLD_BINARY_INIT_CONTAINER = 'hold-binary';

/** The pod sysctl that lets the unprivileged launcher serve DHCP on port 67 (a "safe" sysctl in Pod Security). */
export const UNPRIVILEGED_PORT_SYSCTL = { name: 'net.ipv4.ip_unprivileged_port_start', value: '0' } as const;

/**
 * Extra seconds of pod grace beyond the VMI's: the launcher gives the guest the VMI's grace period after
 * the ACPI button and then needs time to force the domain off and tear libvirt down before the kubelet's
 * SIGKILL (upstream pads twice by 15 s for the same reason).
 */
export const POD_GRACE_MARGIN_SECONDS = 30;

/** Annotations of the VMI that stay off the pod (upstream filters the same client bookkeeping). */
const FILTERED_ANNOTATION_PREFIXES = ['kubectl.kubernetes.io', 'kubevirt.io/storage-observed-api-version', 'kubevirt.io/latest-observed-api-version'];

// A hold container does nothing but sleep; upstream gives its containerDisk containers the same budget.
const HOLD_RESOURCES = { requests: { cpu: '1m', memory: '1M' }, limits: { cpu: '10m', memory: '40M' } };

export interface LauncherPodOptions {
  /** The launcher image, e.g. localhost/virtstack/launcher:dev. */
  image: string;
  imagePullPolicy: PullPolicy;
  /** Request devices.kubevirt.io/kvm, so the pod lands only on a node where KVM is usable. */
  requireKvm: boolean;
  /** The launcher's log level (VIRTSTACK_LOG_LEVEL). */
  logLevel?: string;
}

/** The non-root, capability-free context every container of the pod runs with. */
export function launcherContainerSecurity(): SecurityContext {
  return {
    runAsUser: LAUNCHER_UID,
    runAsGroup: LAUNCHER_UID,
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
  };
}

/** upstream dns.SanitizeHostname: spec.hostname, else the VMI name up to its first dot, at most 63 characters. */
export function launcherHostname(vmi: VirtualMachineInstance): string {
  if (vmi.spec.hostname) return vmi.spec.hostname;
  return (vmi.metadata.name ?? '').split('.')[0]!.slice(0, 63);
}

/**
 * A Kubernetes name of at most 63 characters: `prefix + name` when it fits, else a truncation made unique by
 * a hash of the full name (the mount path or the marker carries the real name, so this one is internal).
 */
export function boundedName(prefix: string, name: string): string {
  const full = `${prefix}${name}`;
  if (full.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(full)) return full;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 10);
  const head = full.slice(0, 63 - hash.length - 1).replace(/[^-a-z0-9]/g, '-').replace(/-+$/, '');
  return `${head}-${hash}`;
}

export function containerDiskContainerName(volumeName: string): string {
  return boundedName('volume', volumeName);
}

function holdContainer(name: string, image: string, pullPolicy: PullPolicy | undefined, marker: string): Container {
  return {
    name,
    image,
    ...(pullPolicy ? { imagePullPolicy: pullPolicy } : {}),
    command: holdCommand(marker),
    resources: structuredClone(HOLD_RESOURCES),
    securityContext: launcherContainerSecurity(),
    volumeMounts: [{ name: HOLD_VOLUME, mountPath: HOLD_MOUNT_PATH, readOnly: true }],
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

function podLabels(vmi: VirtualMachineInstance): Record<string, string> {
  const name = vmi.metadata.name ?? '';
  const labels: Record<string, string> = { ...(vmi.metadata.labels ?? {}) };
  labels[LABELS.app] = LABELS.appLauncher;
  labels[LABELS.createdBy] = vmi.metadata.uid ?? '';
  labels[LABELS.vmName] = launcherHostname(vmi);
  // upstream keeps kubevirt.io/domain as an annotation; the label is virtstack's, set only when the VMI's
  // own labels do not already say it, so a Service selecting the template's value keeps working.
  if (labels[LABELS.domain] === undefined) labels[LABELS.domain] = name;
  return labels;
}

function podAnnotations(vmi: VirtualMachineInstance): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(vmi.metadata.annotations ?? {})) {
    if (!FILTERED_ANNOTATION_PREFIXES.some((p) => k.startsWith(p))) out[k] = v;
  }
  out[LABELS.domain] = vmi.metadata.name ?? '';
  out['kubectl.kubernetes.io/default-container'] = LAUNCHER_POD.computeContainer;
  return out;
}

interface Storage {
  volumes: PodVolume[];
  computeMounts: VolumeMount[];
  diskContainers: Container[];
  pullSecrets: string[];
}

function storageOf(spec: VirtualMachineInstanceSpec): Storage {
  const s: Storage = { volumes: [], computeMounts: [], diskContainers: [], pullSecrets: [] };
  const secrets = new Set<string>();
  const addSecret = (secretName: string) => {
    if (secrets.has(secretName)) return;
    secrets.add(secretName);
    const name = boundedName('secret-', secretName);
    s.volumes.push({ name, secret: { secretName } });
    s.computeMounts.push({ name, mountPath: `${VM_VOLUME_MOUNTS.secrets}/${secretName}`, readOnly: true });
  };
  for (const v of spec.volumes ?? []) {
    if (v.containerDisk) {
      const cd = v.containerDisk;
      s.diskContainers.push(holdContainer(containerDiskContainerName(v.name), cd.image, cd.imagePullPolicy, containerDiskMarker(v.name)));
      if (cd.imagePullSecret) s.pullSecrets.push(cd.imagePullSecret);
    }
    // upstream: a DataVolume's disk is the PersistentVolumeClaim of the same name.
    const claim = v.persistentVolumeClaim ?? (v.dataVolume ? { claimName: v.dataVolume.name } : undefined);
    if (claim) {
      const name = boundedName('vol-', v.name);
      s.volumes.push({ name, persistentVolumeClaim: { claimName: claim.claimName, ...(claim.readOnly ? { readOnly: true } : {}) } });
      s.computeMounts.push({ name, mountPath: `${VM_VOLUME_MOUNTS.vmiDisks}/${v.name}`, ...(claim.readOnly ? { readOnly: true } : {}) });
    }
    const ci = v.cloudInitNoCloud;
    if (ci?.secretRef) addSecret(ci.secretRef.name);
    if (ci?.networkDataSecretRef) addSecret(ci.networkDataSecretRef.name);
  }
  const kb = spec.domain.firmware?.kernelBoot?.container;
  if (kb) {
    s.diskContainers.push(holdContainer(KERNEL_BOOT_CONTAINER, kb.image, kb.imagePullPolicy, KERNEL_BOOT_MARKER));
    if (kb.imagePullSecret) s.pullSecrets.push(kb.imagePullSecret);
  }
  return s;
}

/** The launcher pod for `vmi` (which must carry its name, namespace and uid: the pod is owned by it). */
export function launcherPod(vmi: VirtualMachineInstance, opts: LauncherPodOptions): PodManifest {
  const name = vmi.metadata.name ?? '';
  const spec = defaultVmiSpec(vmi.spec);
  const storage = storageOf(spec);
  const security = launcherContainerSecurity();
  // tini -s (a subreaper: in the shared PID namespace the pod's pause process is PID 1) reaps what libvirt
  // daemonizes and forwards the kubelet's SIGTERM; the launcher's own contract says how it starts.
  const cmd = launcherCommand();

  const compute: Container = {
    name: LAUNCHER_POD.computeContainer,
    image: opts.image,
    imagePullPolicy: opts.imagePullPolicy,
    command: [cmd.command, ...cmd.args],
    ...(opts.logLevel ? { env: [{ name: 'VIRTSTACK_LOG_LEVEL', value: opts.logLevel }] } : {}),
    resources: launcherResources(spec, opts.requireKvm),
    securityContext: security,
    volumeMounts: [
      { name: LAUNCHER_POD.socketsVolume, mountPath: LAUNCHER_POD.socketsMountPath },
      { name: LAUNCHER_POD.runtimeVolume, mountPath: LAUNCHER_POD.runtimeMountPath },
      { name: LAUNCHER_POD.ephemeralVolume, mountPath: VM_VOLUME_MOUNTS.ephemeral },
      ...storage.computeMounts,
    ],
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };

  const holdInit: Container = {
    name: HOLD_BINARY_INIT_CONTAINER,
    image: opts.image,
    imagePullPolicy: opts.imagePullPolicy,
    command: ['cp', HOLD_BINARY_IN_IMAGE, HOLD_BINARY],
    resources: structuredClone(HOLD_RESOURCES),
    securityContext: launcherContainerSecurity(),
    volumeMounts: [{ name: HOLD_VOLUME, mountPath: HOLD_MOUNT_PATH }],
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };

  const pullSecrets = [...new Set(storage.pullSecrets)];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `virt-launcher-${name}-`,
      namespace: vmi.metadata.namespace,
      labels: podLabels(vmi),
      annotations: podAnnotations(vmi),
      ownerReferences: [{
        // Not from the object: list items of some kinds arrive without apiVersion/kind.
        apiVersion: apiVersionOf(RESOURCES.virtualMachineInstances),
        kind: RESOURCES.virtualMachineInstances.kind,
        name,
        uid: vmi.metadata.uid ?? '',
        controller: true,
        blockOwnerDeletion: true,
      }],
    },
    spec: {
      hostname: launcherHostname(vmi),
      securityContext: {
        runAsUser: LAUNCHER_UID,
        runAsGroup: LAUNCHER_UID,
        fsGroup: LAUNCHER_UID,
        runAsNonRoot: true,
        sysctls: [{ ...UNPRIVILEGED_PORT_SYSCTL }],
      },
      // The launcher finds each disk container's hold process (and its root filesystem) in /proc.
      shareProcessNamespace: true,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: gracePeriodSecondsOf(spec) + POD_GRACE_MARGIN_SECONDS,
      nodeSelector: { ...(spec.nodeSelector ?? {}), [LABELS.schedulable]: 'true' },
      ...(spec.affinity ? { affinity: structuredClone(spec.affinity) as Record<string, unknown> } : {}),
      ...(spec.tolerations?.length ? { tolerations: structuredClone(spec.tolerations) } : {}),
      ...(pullSecrets.length ? { imagePullSecrets: pullSecrets.map((n) => ({ name: n })) } : {}),
      // The launcher talks to nobody but the handler (over its socket): no API token, no service env.
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      initContainers: storage.diskContainers.length ? [holdInit] : [],
      containers: [compute, ...storage.diskContainers],
      volumes: [
        { name: LAUNCHER_POD.socketsVolume, emptyDir: {} },
        { name: LAUNCHER_POD.runtimeVolume, emptyDir: {} },
        { name: LAUNCHER_POD.ephemeralVolume, emptyDir: {} },
        ...(storage.diskContainers.length ? [{ name: HOLD_VOLUME, emptyDir: {} }] : []),
        ...storage.volumes,
      ],
    },
  };
}
