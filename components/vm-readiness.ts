// Waiting for a VirtualMachine to be Ready, and saying why when it is not: the VM's and its VMI's
// conditions and the last Warning events of the VM, its VMI and its launcher pods (unschedulable, image
// missing, …) — what `kubectl describe` would show, in the error of the `pulumi up` that waited.
import { isNotFound, type KubeApi, type KubeObject } from '../virt/kube/api.js';
import { RESOURCES } from '../virt/kube/resources.js';
import { describeConditions, warningEventsOf, type Condition } from './warning-events.js';

interface VmObject extends KubeObject {
  spec?: { runStrategy?: string };
  status?: { ready?: boolean; printableStatus?: string; conditions?: Condition[]; desiredGeneration?: number };
}

/** upstream's annotation on a VMI: the VM generation it was created from. */
export const VM_GENERATION_ANNOTATION = 'kubevirt.io/vm-generation';

interface VmiObject extends KubeObject {
  status?: { phase?: string; nodeName?: string; interfaces?: { ipAddress?: string }[]; conditions?: Condition[] };
}

/** What the component reports of a VM: its outputs. */
export interface VmState {
  ready: boolean;
  printableStatus: string;
  /** Empty while no VMI runs. */
  nodeName: string;
  ipAddress: string;
  vmiName: string;
  /** The VM's uid, to tell a VM from another of the same name. */
  uid: string;
  conditions: Condition[];
  /** The VMI's phase; empty when none exists. */
  vmiPhase: string;
  /**
   * The VMI runs an older spec than the VM's: upstream's RestartRequired condition, or (where the VM
   * controller records no desiredGeneration, so nothing says it saw the change) a VMI created from an
   * older VM generation.
   */
  restartRequired: string | undefined;
  /**
   * The VM controller has seen the VM's current generation (upstream's status.desiredGeneration), so its
   * conditions, RestartRequired among them, speak of this spec; true where it records none.
   */
  observed: boolean;
  /** A VMI that never started and was created from an older spec (e.g. an image that did not exist). */
  staleUnstarted: boolean;
}

export class VmNotReadyError extends Error {
  constructor(
    message: string,
    readonly state: VmState | undefined,
  ) {
    super(message);
    this.name = 'VmNotReadyError';
  }
}

async function getOrUndefined<T extends KubeObject>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export async function vmState(api: KubeApi, namespace: string, name: string): Promise<VmState | undefined> {
  const vm = await getOrUndefined(() => api.get<VmObject>(RESOURCES.virtualMachines, namespace, name));
  if (!vm) return undefined;
  const vmi = await getOrUndefined(() => api.get<VmiObject>(RESOURCES.virtualMachineInstances, namespace, name));
  const conditions = vm.status?.conditions ?? [];
  const vmiGen = Number(vmi?.metadata.annotations?.[VM_GENERATION_ANNOTATION] ?? NaN);
  const older = vmi !== undefined && Number.isFinite(vmiGen) && vm.metadata.generation !== undefined && vmiGen < vm.metadata.generation;
  const phase = vmi?.status?.phase ?? '';
  const started = phase === 'Running' || phase === 'Succeeded' || phase === 'Failed';
  const condition = conditions.find((c) => c.type === 'RestartRequired' && c.status === 'True');
  const desired = vm.status?.desiredGeneration;
  const tracked = desired !== undefined;
  return {
    vmiPhase: phase,
    observed: !tracked || vm.metadata.generation === undefined || desired >= vm.metadata.generation,
    restartRequired: condition
      ? (condition.message ?? 'a change takes effect only after a restart')
      : !tracked && older && started ? `the VMI runs generation ${vmiGen} of the spec, the VM is at ${vm.metadata.generation}` : undefined,
    staleUnstarted: older && !started,
    ready: vm.status?.ready === true && conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    printableStatus: vm.status?.printableStatus ?? '',
    nodeName: vmi?.status?.nodeName ?? '',
    ipAddress: vmi?.status?.interfaces?.find((i) => i.ipAddress)?.ipAddress ?? '',
    vmiName: vmi ? (vmi.metadata.name ?? '') : '',
    uid: vm.metadata.uid ?? '',
    conditions,
  };
}

/** The VM's, its VMI's and its launcher pods' Warning events, newest last. */
export async function warningEvents(api: KubeApi, namespace: string, name: string, limit = 5): Promise<string[]> {
  return warningEventsOf(api, namespace, (o) => ((o.kind === 'VirtualMachine' || o.kind === 'VirtualMachineInstance') && o.name === name) || (o.kind === 'Pod' && (o.name ?? '').startsWith(`virt-launcher-${name}-`)), limit);
}

/** Everything the error of a VM that did not get Ready says about it. */
export async function diagnose(api: KubeApi, namespace: string, name: string): Promise<string> {
  const vm = await getOrUndefined(() => api.get<VmObject>(RESOURCES.virtualMachines, namespace, name));
  const vmi = await getOrUndefined(() => api.get<VmiObject>(RESOURCES.virtualMachineInstances, namespace, name));
  const events = await warningEvents(api, namespace, name).catch((e: unknown) => [`(events not readable: ${(e as Error).message})`]);
  return [
    `VM conditions: ${describeConditions(vm?.status?.conditions)}`,
    vmi ? `VMI ${vmi.metadata.name} (phase ${vmi.status?.phase ?? 'unknown'}) conditions: ${describeConditions(vmi.status?.conditions)}` : 'VMI: none',
    `Warning events: ${events.length ? events.join(' | ') : 'none'}`,
  ].join('\n');
}

export interface WaitOptions {
  timeoutMs: number;
  /** The VM incarnation created or updated by this run; another uid means another cluster or object. */
  uid?: string;
  pollMs?: number;
  /** Replace a VMI that never started and was made from an older spec (nothing runs in it to lose). */
  replaceStaleUnstarted?: boolean;
  log?: (line: string) => void;
}

/** Waits until the VM is Ready; a timeout throws VmNotReadyError quoting conditions and events. */
export async function waitForVmReady(api: KubeApi, namespace: string, name: string, o: WaitOptions): Promise<VmState> {
  const deadline = Date.now() + o.timeoutMs;
  let last: VmState | undefined;
  for (;;) {
    last = await vmState(api, namespace, name);
    if (last && o.uid && last.uid !== o.uid) {
      throw new VmNotReadyError(
        `VirtualMachine ${namespace}/${name} on the cluster this component reaches has uid ${last.uid}, not ${o.uid} as the Kubernetes provider created it: the component and the provider see different clusters (pass the provider's kubeconfig as the component's kubeconfig arg)`,
        last,
      );
    }
    // Ready, and the controller has seen this spec: its RestartRequired (or its absence) is about it.
    if (last?.ready && last.observed) return last;
    if (last?.staleUnstarted && o.replaceStaleUnstarted) {
      o.log?.(`VirtualMachine ${namespace}/${name}: its VMI ${last.vmiName} never started and was made from an older spec; starting it again from the current one`);
      await api.delete(RESOURCES.virtualMachineInstances, namespace, last.vmiName).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
    }
    if (Date.now() > deadline) {
      const why = await diagnose(api, namespace, name);
      const status = last ? `printableStatus ${last.printableStatus || 'none'}` : 'not found on the cluster';
      throw new VmNotReadyError(`VirtualMachine ${namespace}/${name} did not become Ready within ${Math.round(o.timeoutMs / 1000)} s (${status}).\n${why}\nFix the cause (or raise readyTimeoutSeconds) and run pulumi up again.`, last);
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
  }
}

/** Deletes the VM's VMI so its controller starts a new one from the current spec (upstream's restart for runStrategy Always). */
export async function restartVm(api: KubeApi, namespace: string, name: string, timeoutMs: number): Promise<VmState> {
  const old = await getOrUndefined(() => api.get<VmiObject>(RESOURCES.virtualMachineInstances, namespace, name));
  if (old) await api.delete(RESOURCES.virtualMachineInstances, namespace, name).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const vmi = await getOrUndefined(() => api.get<VmiObject>(RESOURCES.virtualMachineInstances, namespace, name));
    if (!old || (vmi && vmi.metadata.uid !== old.metadata.uid)) break;
    if (Date.now() > deadline) throw new VmNotReadyError(`VirtualMachine ${namespace}/${name}: its VMI was not replaced within ${Math.round(timeoutMs / 1000)} s after the restart`, undefined);
    await new Promise((r) => setTimeout(r, 1000));
  }
  return waitForVmReady(api, namespace, name, { timeoutMs: Math.max(deadline - Date.now(), 1000) });
}
