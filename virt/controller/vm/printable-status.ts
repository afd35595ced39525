// The one-word VM status `kubectl get vm` shows. Several can hold at once (Running and Migrating, Paused and
// Terminating); upstream's precedence decides: the first that holds, in the order of PRECEDENCE, wins, and
// Unknown when none does.
import type { DataVolume, RunStrategy, VirtualMachine, VirtualMachineInstance } from '../../api/index.js';
import type { PRINTABLE_STATUSES } from '../../api/index.js';
import { hasCondition } from '../conditions.js';
import { isSetToStart } from './run-strategy.js';
import { isFinal } from './start-failure.js';

export type PrintableStatus = (typeof PRINTABLE_STATUSES)[number];

/** The facts beyond the VM and its VMI that the statuses depend on. */
export interface PrintableInput {
  vm: VirtualMachine;
  runStrategy: RunStrategy;
  vmi: VirtualMachineInstance | undefined;
  /** The controller created a VMI and has not seen it in its cache yet. */
  startExpected: boolean;
  /** The controller deleted the VMI and has not seen it go yet. */
  stopExpected: boolean;
  /** DataVolumes the template's volumes name, as the cache has them (absent ones left out). */
  dataVolumes: readonly DataVolume[];
  /** Names of the template's claims (PVCs and DataVolumes' PVCs) that exist and are not bound yet. */
  unboundClaims: readonly string[];
  now: Date;
}

type Rule = readonly [PrintableStatus, (i: PrintableInput) => boolean];

const vmiCondition = (i: PrintableInput, type: string, status: 'True' | 'False', reason?: string) => hasCondition(i.vmi?.status?.conditions, type, status, reason);
const running = (i: PrintableInput) => i.vmi?.status?.phase === 'Running';
const paused = (i: PrintableInput) => vmiCondition(i, 'Paused', 'True');
const synchronizedFalse = (i: PrintableInput, reason: string) => vmiCondition(i, 'Synchronized', 'False', reason);

function migrating(i: PrintableInput): boolean {
  const m = i.vmi?.status?.migrationState;
  if (!m?.startTimestamp) return false;
  const now = i.now.getTime();
  if (Date.parse(m.startTimestamp) > now) return false;
  return !(m.endTimestamp && Date.parse(m.endTimestamp) <= now);
}

function dataVolumeProvisioning(i: PrintableInput): boolean {
  return i.dataVolumes.some((dv) => {
    const phase = dv.status?.phase;
    if (phase === 'Succeeded' || phase === 'PendingPopulation') return false;
    const bound = dv.status?.conditions?.some((c) => c.type === 'Bound' && c.status === 'True') ?? false;
    // WaitForFirstConsumer and unbound waits for the VM's pod: that is not provisioning yet.
    return bound || phase !== 'WaitForFirstConsumer';
  });
}

function dataVolumeError(i: PrintableInput): boolean {
  return i.dataVolumes.some((dv) => dv.status?.phase === 'Failed'
    || (dv.status?.conditions ?? []).some((c) => c.type === 'Running' && c.status === 'False' && (c.reason === 'Error' || c.reason === 'ImagePullFailed')));
}

function crashLoop(i: PrintableInput): boolean {
  if ((i.vmi && !isFinal(i.vmi)) || i.startExpected) return false;
  const count = i.vm.status?.startFailure?.consecutiveFailCount ?? 0;
  return count > 0 && (i.runStrategy === 'Always' || i.runStrategy === 'RerunOnFailure' || i.runStrategy === 'Once');
}

function starting(i: PrintableInput): boolean {
  if (!i.vmi) return i.startExpected;
  const p = i.vmi.status?.phase;
  return p === undefined || p === 'Pending' || p === 'Scheduling' || p === 'Scheduled';
}

/** upstream setPrintableStatus's order. */
export const PRECEDENCE: readonly Rule[] = [
  ['Terminating', (i) => i.vm.metadata.deletionTimestamp !== undefined],
  ['Stopping', (i) => i.vmi !== undefined && !isFinal(i.vmi) && (i.vmi.metadata.deletionTimestamp !== undefined || i.stopExpected)],
  ['Migrating', migrating],
  ['Paused', (i) => running(i) && paused(i)],
  ['Running', (i) => running(i) && !paused(i)],
  ['ErrorPvcNotFound', (i) => synchronizedFalse(i, 'FailedPvcNotFound')],
  ['DataVolumeError', dataVolumeError],
  ['ErrorUnschedulable', (i) => vmiCondition(i, 'PodScheduled', 'False', 'Unschedulable')],
  ['Provisioning', dataVolumeProvisioning],
  ['WaitingForVolumeBinding', (i) => isSetToStart(i.vm, i.runStrategy, i.vmi) && i.unboundClaims.length > 0],
  ['ErrImagePull', (i) => synchronizedFalse(i, 'ErrImagePull')],
  ['ImagePullBackOff', (i) => synchronizedFalse(i, 'ImagePullBackOff')],
  ['Starting', starting],
  ['CrashLoopBackOff', crashLoop],
  ['Stopped', (i) => (i.vmi ? isFinal(i.vmi) : !i.startExpected)],
];

export function printableStatus(i: PrintableInput): PrintableStatus {
  for (const [status, holds] of PRECEDENCE) if (holds(i)) return status;
  return 'Unknown';
}
