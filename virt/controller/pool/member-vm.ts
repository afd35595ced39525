// The VirtualMachine of one ordinal of a pool: the template's labels and spec, upstream's pool labels on the VM
// and on its VMI template (so the VMI says which revision it was started from), a controller owner reference
// to the pool (deleting the pool garbage-collects its VMs), and per-replica names — each dataVolumeTemplate
// (and every volume naming it) gets -<ordinal>, and with nameGeneration the Secrets it refers to as well.
import type { VirtualMachine, VirtualMachinePool } from '../../api/index.js';
import { apiVersionOf, RESOURCES } from '../../kube/resources.js';
import { memberName, POOL_LABELS } from './pool-names.js';

type VmSpec = VirtualMachine['spec'];

/** The member's spec: the template's, with its per-replica names and the pool labels on the VMI template. */
export function memberSpec(pool: VirtualMachinePool, ordinal: number, revision: string): VmSpec {
  const poolName = pool.metadata.name ?? '';
  const spec = structuredClone(pool.spec.virtualMachineTemplate.spec) as VmSpec;
  const suffix = `-${ordinal}`;
  const renamed = new Map<string, string>();
  for (const t of spec.dataVolumeTemplates ?? []) {
    const name = t.metadata.name ?? '';
    renamed.set(name, `${name}${suffix}`);
    t.metadata = { ...t.metadata, name: `${name}${suffix}` };
  }
  const secrets = pool.spec.nameGeneration?.appendIndexToSecretRefs === true;
  for (const v of spec.template.spec.volumes ?? []) {
    if (v.dataVolume && renamed.has(v.dataVolume.name)) v.dataVolume = { ...v.dataVolume, name: renamed.get(v.dataVolume.name)! };
    if (v.persistentVolumeClaim && renamed.has(v.persistentVolumeClaim.claimName)) {
      v.persistentVolumeClaim = { ...v.persistentVolumeClaim, claimName: renamed.get(v.persistentVolumeClaim.claimName)! };
    }
    const ci = v.cloudInitNoCloud;
    if (secrets && ci) {
      if (ci.secretRef?.name) ci.secretRef = { ...ci.secretRef, name: `${ci.secretRef.name}${suffix}` };
      if (ci.networkDataSecretRef?.name) ci.networkDataSecretRef = { ...ci.networkDataSecretRef, name: `${ci.networkDataSecretRef.name}${suffix}` };
    }
  }
  const meta = spec.template.metadata ?? {};
  spec.template.metadata = { ...meta, labels: { ...(meta.labels ?? {}), [POOL_LABELS.pool]: poolName, [POOL_LABELS.revision]: revision } };
  return spec;
}

/** The member's labels: the template's plus the pool's name and the revision. */
export function memberLabels(pool: VirtualMachinePool, revision: string): Record<string, string> {
  return { ...(pool.spec.virtualMachineTemplate.metadata?.labels ?? {}), [POOL_LABELS.pool]: pool.metadata.name ?? '', [POOL_LABELS.revision]: revision };
}

export function memberVm(pool: VirtualMachinePool, ordinal: number, revision: string): VirtualMachine {
  const poolName = pool.metadata.name ?? '';
  const annotations = pool.spec.virtualMachineTemplate.metadata?.annotations;
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: {
      name: memberName(poolName, ordinal),
      ...(pool.metadata.namespace ? { namespace: pool.metadata.namespace } : {}),
      labels: memberLabels(pool, revision),
      ...(annotations && Object.keys(annotations).length ? { annotations: { ...annotations } } : {}),
      ownerReferences: [{
        apiVersion: apiVersionOf(RESOURCES.pools),
        kind: RESOURCES.pools.kind,
        name: poolName,
        uid: pool.metadata.uid ?? '',
        controller: true,
        blockOwnerDeletion: true,
      }],
    },
    spec: memberSpec(pool, ordinal, revision),
  };
}

/** The cached member brought to `revision`: the new spec and labels, its other metadata kept. */
export function updatedMember(pool: VirtualMachinePool, cached: VirtualMachine, ordinal: number, revision: string): VirtualMachine {
  const next = structuredClone(cached) as VirtualMachine;
  next.metadata.labels = { ...(next.metadata.labels ?? {}), ...memberLabels(pool, revision) };
  next.spec = memberSpec(pool, ordinal, revision);
  delete (next as { status?: unknown }).status;
  return next;
}
