// The migration's target launcher pod: the VMI's own pod (the one builder, so the target runs exactly what
// the source runs), started in target mode, kept off the source node, and labelled with the migration's UID
// so the controller finds it again (upstream's kubevirt.io/migrationJobUID).
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../api/index.js';
import type { Pod } from '../../kube/core-types.js';
import { DEVICES, LABELS, LAUNCHER_POD, MIGRATION_TARGET_ENV as TARGET_ENV } from '../../protocol/launcher-pod.js';
import { launcherPod, type LauncherPodOptions } from '../vmi/launcher-pod.js';
import type { PodManifest } from '../vmi/pod-manifest.js';

/** upstream's label on a target pod: the UID of the migration it serves. */
export const MIGRATION_JOB_LABEL = LABELS.migrationJobUid;
/** upstream's label on the VMI while a target waits on a node: that node's handler watches it. */
export const MIGRATION_TARGET_NODE_LABEL = LABELS.migrationTargetNodeName;
/** The compute container's env that makes the launcher wait for an incoming domain (the handler-launcher contract's). */
export const MIGRATION_TARGET_ENV = TARGET_ENV;
const HOSTNAME_KEY = 'kubernetes.io/hostname';

interface NodeSelectorRequirement { key: string; operator: string; values?: string[] }
interface NodeSelectorTerm { matchExpressions?: NodeSelectorRequirement[]; matchFields?: unknown[] }

/** Whether the source pod asked for KVM: the target must run the guest under the same accelerator. */
export function podRequestsKvm(pod: Pod): boolean {
  const compute = pod.spec?.containers?.find((c) => c.name === LAUNCHER_POD.computeContainer) as { resources?: { limits?: Record<string, string>; requests?: Record<string, string> } } | undefined;
  return compute?.resources?.limits?.[DEVICES.kvm] !== undefined || compute?.resources?.requests?.[DEVICES.kvm] !== undefined;
}

/**
 * The required node affinity of `affinity` with "not on `sourceNode`" added to every term (terms are ORed,
 * so each must exclude the node), or one term saying only that.
 */
export function excludeNode(affinity: Record<string, unknown> | undefined, sourceNode: string): Record<string, unknown> {
  const out = structuredClone(affinity ?? {}) as Record<string, unknown> & { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } } & Record<string, unknown> };
  const notSource: NodeSelectorRequirement = { key: HOSTNAME_KEY, operator: 'NotIn', values: [sourceNode] };
  const na = out.nodeAffinity ?? {};
  const req = na.requiredDuringSchedulingIgnoredDuringExecution ?? {};
  const terms = req.nodeSelectorTerms?.length ? req.nodeSelectorTerms : [{}];
  req.nodeSelectorTerms = terms.map((t) => ({ ...t, matchExpressions: [...(t.matchExpressions ?? []), notSource] }));
  na.requiredDuringSchedulingIgnoredDuringExecution = req;
  out.nodeAffinity = na;
  return out;
}

export interface TargetPodInput {
  vmi: VirtualMachineInstance;
  migration: VirtualMachineInstanceMigration;
  sourceNode: string;
  /** The launcher pod options the VMI's own pod was built with. */
  pod: LauncherPodOptions;
}

export function targetPod(i: TargetPodInput): PodManifest {
  const p = launcherPod(i.vmi, i.pod);
  const uid = i.migration.metadata.uid ?? '';
  p.metadata.labels = { ...(p.metadata.labels ?? {}), [MIGRATION_JOB_LABEL]: uid };
  p.spec.affinity = excludeNode(p.spec.affinity, i.sourceNode);
  const added = i.migration.spec.addedNodeSelector;
  if (added) p.spec.nodeSelector = { ...(p.spec.nodeSelector ?? {}), ...added };
  p.spec.containers = p.spec.containers.map((c) => c.name !== LAUNCHER_POD.computeContainer ? c : {
    ...c,
    env: [...(c.env ?? []).filter((e) => e.name !== MIGRATION_TARGET_ENV), { name: MIGRATION_TARGET_ENV, value: 'true' }],
  });
  return p;
}
