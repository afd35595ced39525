// upstream's migration-create admitter: a VirtualMachineInstanceMigration is refused at creation when its
// VMI does not exist, does not run, is not live-migratable (with the condition's reason), or another
// migration of it is unfinished.
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../api/index.js';
import { isNotFound, type KubeApi } from '../../kube/api.js';
import { RESOURCES } from '../../kube/resources.js';
import { refuse } from './admit.js';
import type { ClusterAdmissionCheck } from './cluster-checks.js';
import type { AdmissionRequest, AdmissionResponse } from './review.js';

export const MIGRATION_VALIDATE_PATH = '/migration-validate';

function finished(m: VirtualMachineInstanceMigration): boolean {
  return m.status?.phase === 'Succeeded' || m.status?.phase === 'Failed';
}

export function migrationCreateCheck(api: KubeApi): ClusterAdmissionCheck {
  return {
    path: MIGRATION_VALIDATE_PATH,
    async check(req: AdmissionRequest): Promise<AdmissionResponse | undefined> {
      if (req.operation !== 'CREATE' || req.kind.kind !== 'VirtualMachineInstanceMigration') return undefined;
      const m = req.object as VirtualMachineInstanceMigration;
      const ns = req.namespace ?? m.metadata?.namespace ?? '';
      const vmiName = m.spec?.vmiName ?? '';
      const what = `VirtualMachineInstanceMigration ${ns}/${m.metadata?.name ?? m.metadata?.generateName ?? ''}`;
      const no = (message: string, hint?: string) => refuse(req.uid, what, [{ path: 'spec.vmiName', reason: 'Invalid', message, ...(hint ? { hint } : {}) }]);
      let vmi: VirtualMachineInstance;
      try {
        vmi = await api.get<VirtualMachineInstance>(RESOURCES.virtualMachineInstances, ns, vmiName);
      } catch (e) {
        if (isNotFound(e)) return no(`VirtualMachineInstance ${ns}/${vmiName} does not exist`, 'name a running VMI of this namespace');
        throw e;
      }
      if (vmi.status?.phase !== 'Running' || vmi.metadata.deletionTimestamp !== undefined) {
        return no(`Cannot migrate VMI ${ns}/${vmiName}: it is ${vmi.metadata.deletionTimestamp ? 'being deleted' : (vmi.status?.phase ?? 'not running')}, only a Running VMI migrates`);
      }
      const c = vmi.status.conditions?.find((x) => x.type === 'LiveMigratable');
      if (c?.status === 'False') return no(`Cannot migrate VMI, Reason: ${c.reason ?? ''}, Message: ${c.message ?? ''}`);
      const others = await api.list<VirtualMachineInstanceMigration>(RESOURCES.migrations, { namespace: ns });
      const active = others.items.find((o) => o.spec?.vmiName === vmiName && !finished(o) && o.metadata.name !== m.metadata?.name);
      if (active) return no(`in-flight migration detected. Active migration job (${active.metadata.uid ?? ''}) is currently already in progress for VMI ${vmiName}.`, `wait for VirtualMachineInstanceMigration ${active.metadata.name} to end, or delete it to cancel`);
      return undefined;
    },
  };
}
