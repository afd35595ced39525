// upstream's virt-launcher eviction interceptor: an eviction of the launcher pod of a VMI whose
// evictionStrategy is LiveMigrate does not kill the VM. The webhook marks the VMI to leave the node
// (status.evacuationNodeName; the evacuation controller creates the migration) and answers 429, as a
// PodDisruptionBudget would, so `kubectl drain` keeps retrying until the migration has removed the pod.
// Pods of other VMIs (evictionStrategy None) are let through: the drain shuts them down.
import type { VirtualMachineInstance } from '../../api/index.js';
import { isNotFound, type KubeApi } from '../../kube/api.js';
import type { Pod } from '../../kube/core-types.js';
import { RESOURCES } from '../../kube/resources.js';
import { LABELS } from '../../protocol/launcher-pod.js';
import type { ClusterAdmissionCheck } from './cluster-checks.js';
import type { AdmissionRequest, AdmissionResponse } from './review.js';

export const EVICTION_VALIDATE_PATH = '/launcher-eviction-validate';

function tooManyRequests(uid: string, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { status: 'Failure', code: 429, reason: 'TooManyRequests', message } };
}

export function launcherEvictionCheck(api: KubeApi): ClusterAdmissionCheck {
  return {
    path: EVICTION_VALIDATE_PATH,
    async check(req: AdmissionRequest): Promise<AdmissionResponse | undefined> {
      if (req.operation !== 'CREATE' || req.subResource !== 'eviction') return undefined;
      const ns = req.namespace ?? '';
      let pod: Pod;
      try {
        pod = await api.get<Pod>(RESOURCES.pods, ns, req.name ?? '');
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
      if (pod.metadata.labels?.[LABELS.app] !== LABELS.appLauncher) return undefined;
      const owner = pod.metadata.ownerReferences?.find((r) => r.controller && r.kind === RESOURCES.virtualMachineInstances.kind);
      if (!owner) return undefined;
      let vmi: VirtualMachineInstance;
      try {
        vmi = await api.get<VirtualMachineInstance>(RESOURCES.virtualMachineInstances, ns, owner.name);
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
      if (vmi.metadata.uid !== owner.uid || vmi.spec.evictionStrategy !== 'LiveMigrate') return undefined;
      const node = pod.spec?.nodeName ?? '';
      // Only the pod the guest runs in: an old source or a target that is not in use may go.
      if (vmi.status?.phase !== 'Running' || !node || vmi.status.nodeName !== node) return undefined;
      const migratable = vmi.status.conditions?.find((c) => c.type === 'LiveMigratable');
      if (migratable?.status === 'False') {
        return tooManyRequests(req.uid, `VMI ${ns}/${vmi.metadata.name} is configured with an eviction strategy but is not live-migratable (${migratable.reason ?? ''}: ${migratable.message ?? ''})`);
      }
      if (vmi.status.evacuationNodeName !== node) {
        await api.patch(RESOURCES.virtualMachineInstances, ns, vmi.metadata.name ?? '', { status: { evacuationNodeName: node } }, 'merge', { subresource: 'status' });
      }
      return tooManyRequests(req.uid, `Eviction triggered evacuation of VMI "${ns}/${vmi.metadata.name ?? ''}"`);
    },
  };
}
