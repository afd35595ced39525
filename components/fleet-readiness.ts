// Waiting for a VirtualMachinePool to have rolled out: the pool controller has seen the current spec
// (observedGeneration), every ordinal below replicas runs the current template and is Ready, and no surge
// VM is left — then each member's name, node and address. On a timeout the error says which members are
// not Ready and why (their VM's and VMI's conditions and Warning events, as for one VirtualMachine).
import { isNotFound, type KubeApi, type KubeObject } from '../virt/kube/api.js';
import { RESOURCES } from '../virt/kube/resources.js';
import { diagnose } from './vm-readiness.js';

/** upstream's label on the pool's VMs and VMIs: the revision (template) they were made from. */
export const POOL_REVISION_LABEL = 'kubevirt.io/vm-pool-revision-name';

interface PoolObject extends KubeObject {
  spec?: { replicas?: number };
  status?: { replicas?: number; readyReplicas?: number; updatedReadyReplicas?: number; observedGeneration?: number; currentRevision?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

interface VmiObject extends KubeObject {
  status?: { nodeName?: string; interfaces?: { ipAddress?: string }[]; conditions?: { type: string; status: string }[] };
}

/** One member of a fleet, as its outputs report it. */
export interface FleetMember {
  /** Name of the VirtualMachine (and its VMI): `<fleet>-<ordinal>`. */
  name: string;
  /** The node its VMI runs on. */
  nodeName: string;
  /** The guest's address on the pod network (the VMI's first interface). */
  ipAddress: string;
}

export interface FleetState {
  /** The pool has seen its current spec, every replica runs the current template and is Ready, no surge VM is left. */
  rolledOut: boolean;
  replicas: number;
  readyReplicas: number;
  updatedReadyReplicas: number;
  uid: string;
  members: FleetMember[];
  failure: string | undefined;
}

export class FleetNotReadyError extends Error {
  constructor(message: string, readonly state: FleetState | undefined) {
    super(message);
    this.name = 'FleetNotReadyError';
  }
}

const orUndefined = async <T>(p: Promise<T>): Promise<T | undefined> => p.catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));

export async function fleetState(api: KubeApi, namespace: string, name: string): Promise<FleetState | undefined> {
  const pool = await orUndefined(api.get<PoolObject>(RESOURCES.pools, namespace, name));
  if (!pool) return undefined;
  const replicas = pool.spec?.replicas ?? 1;
  const s = pool.status ?? {};
  const observed = s.observedGeneration !== undefined && s.observedGeneration >= (pool.metadata.generation ?? 0);
  const failure = s.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  const members: FleetMember[] = [];
  if (observed) {
    for (let i = 0; i < replicas; i++) {
      const vmName = `${name}-${i}`;
      const vmi = await orUndefined(api.get<VmiObject>(RESOURCES.virtualMachineInstances, namespace, vmName));
      members.push({ name: vmName, nodeName: vmi?.status?.nodeName ?? '', ipAddress: vmi?.status?.interfaces?.find((x) => x.ipAddress)?.ipAddress ?? '' });
    }
  }
  return {
    rolledOut: observed && s.updatedReadyReplicas === replicas && s.replicas === replicas,
    replicas,
    readyReplicas: s.readyReplicas ?? 0,
    updatedReadyReplicas: s.updatedReadyReplicas ?? 0,
    uid: pool.metadata.uid ?? '',
    members,
    failure: failure ? `${failure.reason ?? ''}: ${failure.message ?? ''}` : undefined,
  };
}

/** Why the members below replicas that are not Ready from the current template are not (at most `limit`). */
async function diagnoseMembers(api: KubeApi, namespace: string, name: string, replicas: number, limit = 3): Promise<string> {
  const pool = await orUndefined(api.get<PoolObject>(RESOURCES.pools, namespace, name));
  const revision = pool?.status?.currentRevision;
  const lines: string[] = [];
  for (let i = 0; i < replicas && lines.length < limit; i++) {
    const vmName = `${name}-${i}`;
    const vmi = await orUndefined(api.get<VmiObject>(RESOURCES.virtualMachineInstances, namespace, vmName));
    const ready = vmi?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
    if (ready && vmi?.metadata.labels?.[POOL_REVISION_LABEL] === revision) continue;
    lines.push(`member ${vmName}${ready ? ' (Ready, but from an older template)' : ''}:\n${await diagnose(api, namespace, vmName)}`);
  }
  return lines.join('\n');
}

export interface FleetWaitOptions {
  timeoutMs: number;
  /** The pool incarnation the provider created; another uid means another cluster or object. */
  uid?: string;
  pollMs?: number;
}

/** Waits until the pool has rolled out; a timeout throws FleetNotReadyError naming the members that are not Ready. */
export async function waitForFleet(api: KubeApi, namespace: string, name: string, o: FleetWaitOptions): Promise<FleetState> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const s = await fleetState(api, namespace, name);
    if (s && o.uid && s.uid !== o.uid) {
      throw new FleetNotReadyError(`VirtualMachinePool ${namespace}/${name} on the cluster this component reaches has uid ${s.uid}, not ${o.uid} as the Kubernetes provider created it: pass the provider's kubeconfig as the component's kubeconfig arg`, s);
    }
    if (s?.rolledOut) return s;
    if (Date.now() > deadline) {
      const why = s ? await diagnoseMembers(api, namespace, name, s.replicas) : '';
      const summary = s ? `${s.updatedReadyReplicas} of ${s.replicas} Ready from the current template, ${s.readyReplicas} Ready in all${s.failure ? `; ReplicaFailure ${s.failure}` : ''}` : 'not found on the cluster';
      throw new FleetNotReadyError(`VirtualMachinePool ${namespace}/${name} did not roll out within ${Math.round(o.timeoutMs / 1000)} s (${summary}).\n${why}\nFix the cause (or raise readyTimeoutSeconds) and run pulumi up again.`, s);
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
  }
}
