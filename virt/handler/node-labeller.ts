// Tells the scheduler what this node can run: upstream's `kubevirt.io/schedulable` and virtstack's
// accelerator label, from the KVM probe (a guest must actually boot under KVM; /dev/kvm existing proves
// nothing). Labels are written with a merge patch, so other labels on the node are left alone.
import type { KubeApi } from '../kube/api.js';
import { RESOURCES } from '../kube/resources.js';
import type { Logger } from '../logger/logger.js';
import { chooseAccelerator, type AcceleratorChoice } from '../accelerator/kvm-probe.js';
import { LABELS } from '../protocol/launcher-pod.js';

export interface NodeLabellerOptions {
  api: KubeApi;
  nodeName: string;
  /** Node-level cache of the probe's verdict (a hostPath: the verdict survives handler restarts). */
  cacheDir: string;
  log: Logger;
  /** 'tcg' skips the probe (a node whose KVM must not be used). */
  mode?: 'auto' | 'tcg';
}

export async function probeAndLabel(o: NodeLabellerOptions): Promise<AcceleratorChoice> {
  const choice = await chooseAccelerator({ mode: o.mode ?? 'auto', cacheDir: o.cacheDir, log: o.log });
  await o.api.patch(RESOURCES.nodes, undefined, o.nodeName, { metadata: { labels: { [LABELS.schedulable]: 'true', [LABELS.accelerator]: choice.accelerator } } }, 'merge');
  o.log.info('node labelled', { node: o.nodeName, accelerator: choice.accelerator, reason: choice.reason, cached: choice.cached });
  return choice;
}

/** On a clean stop the node says it takes no new VMs (upstream flips schedulable to false when its handler is gone). */
export async function markUnschedulable(api: KubeApi, nodeName: string): Promise<void> {
  await api.patch(RESOURCES.nodes, undefined, nodeName, { metadata: { labels: { [LABELS.schedulable]: 'false' } } }, 'merge');
}
