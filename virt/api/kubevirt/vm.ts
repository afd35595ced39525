// kubevirt.io/v1 VirtualMachine: a VM that persists across stops; its runStrategy decides when a VMI runs.
import type { Static } from '@sinclair/typebox';
import { arr, bool, int, marker, obj, objectMeta, oneOf, opt, str } from '../schema/builders.js';
import { dvSpec } from '../cdi/datavolume-spec.js';
import { condition } from './conditions.js';
import { vmiSpec } from './vmi-spec.js';

export const RUN_STRATEGIES = ['Always', 'Halted', 'Manual', 'RerunOnFailure', 'Once'] as const;
export type RunStrategy = (typeof RUN_STRATEGIES)[number];

export const PRINTABLE_STATUSES = [
  'Stopped', 'Provisioning', 'Starting', 'Running', 'Paused', 'Stopping', 'Terminating', 'CrashLoopBackOff', 'Migrating',
  'Unknown', 'ErrorUnschedulable', 'ErrImagePull', 'ImagePullBackOff', 'ErrorPvcNotFound', 'DataVolumeError',
  'WaitingForVolumeBinding',
] as const;

export const vmiTemplate = obj('The VirtualMachineInstance this VM runs.', {
  metadata: opt(objectMeta('Labels and annotations copied onto the VMI.')),
  spec: vmiSpec,
});

export const dataVolumeTemplate = obj('A DataVolume created with the VM, owned by it, deleted with it.', {
  apiVersion: opt(oneOf('cdi.kubevirt.io/v1beta1 when given.', ['cdi.kubevirt.io/v1beta1'] as const)),
  kind: opt(oneOf('DataVolume when given.', ['DataVolume'] as const)),
  metadata: objectMeta('Name (required) and labels of the DataVolume.'),
  spec: dvSpec,
  // Upstream's DataVolumeTemplateDummyStatus: an empty object kept for old clients; accepted and ignored.
  status: opt(marker('Accepted for compatibility with upstream (an empty object); ignored.')),
});

export const vmSpec = obj(
  'The desired VirtualMachine.',
  {
    runStrategy: opt(oneOf(
      'When the VM runs: Always (keep running, restart on any stop), Halted (stopped), Manual (start/stop by virtctl only), RerunOnFailure (restart after failure, not after a clean guest shutdown), Once (run to completion once).',
      RUN_STRATEGIES,
      ['WaitAsReceiver'],
    )),
    running: opt(bool('Deprecated upstream: true means runStrategy Always, false means Halted. Set runStrategy instead; not both.')),
    template: vmiTemplate,
    dataVolumeTemplates: opt(arr('DataVolumes created with the VM (e.g. its root disk imported from a URL).', dataVolumeTemplate)),
  },
  { upstream: ['instancetype', 'preference', 'updateVolumesStrategy'] },
);

export const vmStatus = obj('Observed state of the VirtualMachine.', {
  printableStatus: opt(oneOf('One-word summary shown by `kubectl get vm`.', PRINTABLE_STATUSES)),
  ready: opt(bool('The VM runs and its VMI is Ready.')),
  created: opt(bool('A VMI exists for the VM.')),
  runStrategy: opt(oneOf('The run strategy in effect.', RUN_STRATEGIES)),
  conditions: opt(arr('Current conditions: Ready, Paused, Failure, …', condition('VirtualMachine'))),
  observedGeneration: opt(int('Generation of the spec the VMI was last created from.', { format: 'int64' })),
  desiredGeneration: opt(int('Generation of the current spec.', { format: 'int64' })),
  stateChangeRequests: opt(arr('Pending start/stop requests from the subresource API.', obj('A requested state change.', {
    action: oneOf('Start or Stop.', ['Start', 'Stop'] as const),
    uid: opt(str('UID of the VMI the request applies to.')),
  }))),
  startFailure: opt(obj('Back-off after repeated start failures.', {
    retryAfterTimestamp: opt(str('When the next start is tried.', { format: 'date-time' })),
    consecutiveFailCount: opt(int('Failures in a row.')),
    lastFailedVMIUID: opt(str('UID of the VMI that failed last.')),
  })),
});

export type VirtualMachineSpec = Static<typeof vmSpec>;
export type VirtualMachineStatus = Static<typeof vmStatus>;
export type DataVolumeTemplate = Static<typeof dataVolumeTemplate>;
