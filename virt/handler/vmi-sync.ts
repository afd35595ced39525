// The handler's reconcile of one VMI on its node: find the VMI's launcher pod, prepare the pod network,
// drive the launcher to run the domain (`sync` is idempotent, so a handler restart simply does it again),
// and report what the node sees — phase Running/Succeeded/Failed, the interface addresses — through the
// VMI's status subresource with optimistic concurrency. Scheduling phases and pod-level failures before
// the node took over belong to the controller.
import type { VirtualMachineInstance, VirtualMachineInstanceStatus } from '../api/index.js';
import { objectKey } from '../kube/api.js';
import type { ContainerStatus, Pod } from '../kube/core-types.js';
import type { Logger } from '../logger/logger.js';
import type { Accelerator, CallMethod, DomainInfo, LauncherMethods, PodNetworkPrepared, SyncOptions } from '../protocol/messages.js';
import { LABELS, LAUNCHER_POD } from '../protocol/launcher-pod.js';
import { withPausedCondition } from './paused-condition.js';

/** What the handler needs of a launcher connection (LauncherClient implements it). */
export interface LauncherCaller {
  call<M extends CallMethod>(method: M, params: LauncherMethods[M]['params'], timeoutMs?: number): Promise<LauncherMethods[M]['result']>;
}

export interface LauncherConnector {
  /** A connection to the pod's launcher; undefined while its socket does not exist yet. */
  get(pod: Pod): Promise<LauncherCaller | undefined>;
  drop(podUid: string): void;
}

/** Prepares (idempotently) the pod's network for the guest and says what was prepared, for the launcher. */
export interface PodNetworkSetup {
  prepare(pod: Pod, vmi: VirtualMachineInstance): Promise<PodNetworkPrepared | undefined>;
}

export interface StatusWriter {
  write(cached: VirtualMachineInstance, status: VirtualMachineInstanceStatus): Promise<void>;
}

export interface VmiSyncDeps {
  nodeName: string;
  getVmi(key: string): VirtualMachineInstance | undefined;
  /** Launcher pods on this node created for this VMI uid. */
  podsOf(vmiUid: string): readonly Pod[];
  launchers: LauncherConnector;
  network: PodNetworkSetup;
  /** The node's KVM probe verdict. */
  accelerator(): { accelerator: Accelerator; reason: string };
  status: StatusWriter;
  event(vmi: VirtualMachineInstance, type: 'Normal' | 'Warning', reason: string, message: string): void;
  log: Logger;
  now?: () => Date;
}

const FINAL = new Set(['Succeeded', 'Failed']);
/** A running VMI is looked at again this often, so status follows the domain even without pod events. */
export const RUNNING_RESYNC_MS = 15_000;
const WAIT_MS = 500;

function computeOf(pod: Pod): ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((x) => x.name === LAUNCHER_POD.computeContainer);
}

/** The pod that runs (or ran) the VMI: not a deleting one when another exists. */
export function launcherPodFor(pods: readonly Pod[]): Pod | undefined {
  return pods.find((p) => !p.metadata.deletionTimestamp) ?? pods[0];
}

function withPhase(status: VirtualMachineInstanceStatus, phase: NonNullable<VirtualMachineInstanceStatus['phase']>, now: Date, reason?: string): VirtualMachineInstanceStatus {
  const next: VirtualMachineInstanceStatus = { ...status, phase };
  if (reason) next.reason = reason;
  else delete next.reason;
  if (status.phase !== phase) {
    next.phaseTransitionTimestamps = [...(status.phaseTransitionTimestamps ?? []), { phase, phaseTransitionTimestamp: now.toISOString() }];
  }
  return next;
}

/** The guest's pod-network interface name: the spec's, or upstream's default one ("default") when the spec names none. */
export function podInterfaceName(vmi: VirtualMachineInstance): string | undefined {
  const { interfaces } = vmi.spec.domain.devices ?? {};
  const networks = vmi.spec.networks;
  if (interfaces === undefined && networks === undefined) return vmi.spec.domain.devices?.autoattachPodInterface === false ? undefined : 'default';
  const podNet = networks?.find((n) => n.pod !== undefined);
  return podNet && interfaces?.some((i) => i.name === podNet.name) ? podNet.name : undefined;
}

export function interfacesFor(vmi: VirtualMachineInstance, pod: Pod): NonNullable<VirtualMachineInstanceStatus['interfaces']> {
  const name = podInterfaceName(vmi);
  if (!name) return [];
  const mac = vmi.spec.domain.devices?.interfaces?.find((i) => i.name === name)?.macAddress;
  const ips = pod.status?.podIPs?.map((p) => p.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : []);
  return [{ name, ...(ips[0] ? { ipAddress: ips[0], ipAddresses: ips } : {}), ...(mac ? { mac } : {}), infoSource: 'domain' }];
}

export class VmiSync {
  /**
   * Launcher pods (by uid) whose launcher has taken its VMI and runs the domain. Their network is prepared
   * and the launcher ignores sync options from then on, so a resync (every RUNNING_RESYNC_MS per VMI) asks
   * the launcher only, instead of re-checking the namespace with a dozen commands. A restarted handler
   * starts empty and checks (and repairs) each pod once.
   */
  private readonly accepted = new Set<string>();

  constructor(private readonly d: VmiSyncDeps) {}

  /** The pod is gone: forget it. */
  forgetPod(podUid: string): void {
    this.accepted.delete(podUid);
  }

  private now(): Date {
    return this.d.now?.() ?? new Date();
  }

  async sync(key: string): Promise<void | { requeueAfterMs: number }> {
    const vmi = this.d.getVmi(key);
    if (!vmi?.metadata.uid) return;
    if (vmi.status?.nodeName !== this.d.nodeName) return;
    const status = vmi.status ?? {};
    if (status.phase && FINAL.has(status.phase)) return;
    const log = this.d.log.child({ kind: 'VirtualMachineInstance', namespace: vmi.metadata.namespace, name: vmi.metadata.name, uid: vmi.metadata.uid });
    const pod = launcherPodFor(this.d.podsOf(vmi.metadata.uid));
    if (!pod?.metadata.uid) return; // the controller owns a missing pod
    const compute = computeOf(pod);

    const terminated = compute?.state?.terminated;
    if (terminated) {
      this.d.launchers.drop(pod.metadata.uid);
      // A source launcher exits 0 when its domain migrated away: the VMI lives on in the target pod, whose
      // handler takes it over (issue 12's step 6); it did not stop.
      const ms = status.migrationState;
      if (terminated.exitCode === 0 && ms?.migrationUid && ms.sourceNode === this.d.nodeName && (ms.startTimestamp || ms.targetNodeAddress || ms.completed) && !ms.failed) return;
      this.accepted.delete(pod.metadata.uid);
      const ok = terminated.exitCode === 0;
      const reason = ok ? undefined : `launcher exited with code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}`;
      await this.d.status.write(vmi, withPhase(status, ok ? 'Succeeded' : 'Failed', this.now(), reason));
      if (ok) this.d.event(vmi, 'Normal', 'Stopped', 'The VirtualMachineInstance was shut down.');
      else this.d.event(vmi, 'Warning', 'Stopped', `The VirtualMachineInstance crashed: ${reason}.`);
      log.info('domain ended', { phase: ok ? 'Succeeded' : 'Failed', exitCode: terminated.exitCode });
      return;
    }
    if (vmi.metadata.deletionTimestamp || pod.metadata.deletionTimestamp) return; // the launcher's SIGTERM path stops the guest
    if (pod.status?.phase !== 'Running' || !compute?.state?.running) return; // pod events bring us back

    const launcher = await this.d.launchers.get(pod);
    if (!launcher) return { requeueAfterMs: WAIT_MS };
    const podNetwork = this.accepted.has(pod.metadata.uid) ? undefined : await this.d.network.prepare(pod, vmi);
    let info: DomainInfo | null;
    try {
      const accel = this.d.accelerator();
      const options: SyncOptions = { ...(podNetwork ? { podNetwork } : {}), accelerator: accel.accelerator, acceleratorReason: accel.reason };
      info = await launcher.call('sync', { vmi, options }, 120_000);
    } catch (err) {
      this.d.launchers.drop(pod.metadata.uid);
      this.d.event(vmi, 'Warning', 'SyncFailed', `the launcher refused the VMI: ${(err as Error).message}`);
      throw err;
    }
    if (!info) return { requeueAfterMs: WAIT_MS };
    this.accepted.add(pod.metadata.uid);
    const running = info.state === 'Running' || info.state === 'Paused';
    if (!running) return { requeueAfterMs: WAIT_MS };
    const next: VirtualMachineInstanceStatus = { ...withPhase(status, 'Running', this.now()), interfaces: interfacesFor(vmi, pod), accelerator: info.accelerator };
    const conditions = withPausedCondition(status.conditions, info, this.now());
    if (conditions !== undefined) next.conditions = conditions;
    if (status.phase !== 'Running') {
      this.d.event(vmi, 'Normal', 'Started', `VirtualMachineInstance started on ${this.d.nodeName} (${info.accelerator}).`);
      log.info('domain running', { node: this.d.nodeName, accelerator: info.accelerator, pod: pod.metadata.name });
    }
    await this.d.status.write(vmi, next);
    return { requeueAfterMs: RUNNING_RESYNC_MS };
  }
}

/** The VMI key a launcher pod belongs to: its controlling owner (the controller sets it), else upstream's domain annotation. */
export function vmiKeyOfPod(pod: Pod): string | undefined {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller && o.kind === 'VirtualMachineInstance');
  const name = owner?.name ?? pod.metadata.annotations?.[LABELS.domain];
  return name && pod.metadata.namespace ? objectKey({ metadata: { namespace: pod.metadata.namespace, name } }) : undefined;
}
