// Whether a VMI can live-migrate, as upstream's LiveMigratable condition says it: every claim shared
// (ReadWriteMany) and no interface that takes the pod's own address over (bridge on the pod network).
// Pure; the VMI controller writes the condition, the admission check and the migration controller read it.
import type { VirtualMachineInstance } from '../../api/index.js';
import type { Condition } from '../conditions.js';
import type { PersistentVolumeClaim } from '../datavolume/claim.js';

export const LIVE_MIGRATABLE = 'LiveMigratable';

/** upstream's reasons (v1.VirtualMachineInstanceReason…NotMigratable). */
export const NOT_MIGRATABLE_REASONS = {
  disks: 'DisksNotLiveMigratable',
  interface: 'InterfaceNotLiveMigratable',
} as const;

/** upstream's annotation on a VMI that lets a bridge on the pod network migrate anyway (the guest keeps the old IP). */
export const ALLOW_POD_BRIDGE_MIGRATION = 'kubevirt.io/allow-pod-bridge-network-live-migration';

export interface Migratability {
  status: 'True' | 'False';
  reason?: string;
  message?: string;
}

/** The claim of each PVC or DataVolume volume, looked up by "namespace/name" (undefined: not in the cache). */
export type ClaimLookup = (key: string) => PersistentVolumeClaim | undefined;

export function liveMigratability(vmi: VirtualMachineInstance, claim: ClaimLookup): Migratability {
  const ns = vmi.metadata.namespace ?? '';
  for (const v of vmi.spec.volumes ?? []) {
    const name = v.persistentVolumeClaim?.claimName ?? v.dataVolume?.name;
    if (!name) continue;
    const c = claim(`${ns}/${name}`);
    if (!c) return { status: 'False', reason: NOT_MIGRATABLE_REASONS.disks, message: `cannot migrate VMI: PVC ${name} of volume ${v.name} was not found` };
    if (!(c.spec?.accessModes ?? []).includes('ReadWriteMany')) {
      return { status: 'False', reason: NOT_MIGRATABLE_REASONS.disks, message: `cannot migrate VMI: PVC ${name} is not shared, live migration requires that all PVCs must be shared (using ReadWriteMany access mode)` };
    }
  }
  const allowBridge = vmi.metadata.annotations?.[ALLOW_POD_BRIDGE_MIGRATION] === 'true';
  const podNetworks = new Set((vmi.spec.networks ?? []).filter((n) => n.pod !== undefined).map((n) => n.name));
  for (const iface of vmi.spec.domain.devices?.interfaces ?? []) {
    if (iface.bridge && podNetworks.has(iface.name) && !allowBridge) {
      return { status: 'False', reason: NOT_MIGRATABLE_REASONS.interface, message: `cannot migrate VMI which does not use masquerade, or bridge with the ${ALLOW_POD_BRIDGE_MIGRATION} VMI annotation, to connect to the pod network (interface ${iface.name})` };
    }
  }
  return { status: 'True' };
}

/** The condition as the VMI carries it. */
export function liveMigratableCondition(m: Migratability): Condition {
  return { type: LIVE_MIGRATABLE, status: m.status, ...(m.reason ? { reason: m.reason } : {}), ...(m.message ? { message: m.message } : {}) };
}
