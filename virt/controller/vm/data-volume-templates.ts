// spec.dataVolumeTemplates: the DataVolumes a VM creates and owns (upstream's VM controller): named by the
// template, in the VM's namespace, controlled by the VM so that deleting the VM deletes them (garbage
// collection) — and only them, not DataVolumes its volumes merely reference. The VM starts once each is
// populated, or waits for its first consumer (then the VMI's pod is that consumer).
import type { DataVolume, DataVolumeTemplate, VirtualMachine } from '../../api/index.js';
import { apiVersionOf, RESOURCES } from '../../kube/resources.js';

/** upstream's event reasons (pkg/virt-controller/watch/common). */
export const DV_TEMPLATE_REASONS = {
  successfulCreate: 'SuccessfulDataVolumeCreate',
  failedCreate: 'FailedDataVolumeCreate',
} as const;

export function dataVolumeFromTemplate(vm: VirtualMachine, t: DataVolumeTemplate): DataVolume {
  const m = t.metadata;
  return {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: {
      name: m.name ?? '',
      ...(vm.metadata.namespace ? { namespace: vm.metadata.namespace } : {}),
      ...(m.labels ? { labels: { ...m.labels } } : {}),
      ...(m.annotations ? { annotations: { ...m.annotations } } : {}),
      ownerReferences: [{
        apiVersion: apiVersionOf(RESOURCES.virtualMachines),
        kind: RESOURCES.virtualMachines.kind,
        name: vm.metadata.name ?? '',
        uid: vm.metadata.uid ?? '',
        controller: true,
        blockOwnerDeletion: true,
      }],
    },
    spec: structuredClone(t.spec),
  };
}

/** A template's DataVolume is ready for the VMI: populated, or waiting for the VMI's pod to bind it. */
export function templateReady(dv: DataVolume | undefined): boolean {
  const p = dv?.status?.phase;
  return p === 'Succeeded' || p === 'WaitForFirstConsumer' || p === 'PendingPopulation';
}
