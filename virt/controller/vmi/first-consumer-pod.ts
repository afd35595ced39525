// The pod that binds a VMI's late-binding (WaitForFirstConsumer) DataVolume claims before anything is
// imported into them, as upstream's VMI controller does (its "temporary pod", annotated
// kubevirt.io/ephemeral-provisioning): the launcher pod's scheduling, resources and claims, with one
// container that exits at once. Scheduling it makes the claims' volumes land where the VM can run; the
// importer follows them there, and the real launcher pod comes once the disks are populated.
import type { PodManifest } from './pod-manifest.js';

export const EPHEMERAL_PROVISIONING_ANNOTATION = 'kubevirt.io/ephemeral-provisioning';

export function isFirstConsumerPod(pod: { metadata: { annotations?: Record<string, string> } }): boolean {
  return pod.metadata.annotations?.[EPHEMERAL_PROVISIONING_ANNOTATION] === 'true';
}

/** The first-consumer pod made from the VMI's launcher pod manifest: fixed name, so it is made once. */
export function firstConsumerPod(launcher: PodManifest, vmiName: string): PodManifest {
  const p = structuredClone(launcher);
  delete p.metadata.generateName;
  p.metadata.name = `virt-launcher-${vmiName}-binding`;
  p.metadata.annotations = { ...(p.metadata.annotations ?? {}), [EPHEMERAL_PROVISIONING_ANNOTATION]: 'true' };
  const compute = p.spec.containers[0]!;
  // Only the compute container, doing nothing: containerDisk containers and their init container are
  // not needed to bind claims.
  p.spec.containers = [{ ...compute, command: ['true'], args: [] }];
  delete p.spec.initContainers;
  p.spec.volumes = (p.spec.volumes ?? []).filter((v) => v.persistentVolumeClaim !== undefined);
  const claims = new Set(p.spec.volumes.map((v) => v.name));
  p.spec.containers[0]!.volumeMounts = (compute.volumeMounts ?? []).filter((m) => claims.has(m.name));
  p.spec.restartPolicy = 'Never';
  p.spec.terminationGracePeriodSeconds = 0;
  return p;
}
