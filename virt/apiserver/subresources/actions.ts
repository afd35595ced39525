// Carrying out one subresource request once it is authorized: read the VM/VMI, decide (lifecycle.ts for
// start/stop/restart, upstream's checks for pause/unpause), then patch the objects or call the handler of
// the VMI's node. Every failure is a StatusError the router writes.
import type { VirtualMachine, VirtualMachineInstance } from '../../api/index.js';
import { ApiError, isNotFound, type KubeApi, type KubeObject } from '../../kube/api.js';
import { RESOURCES } from '../../kube/resources.js';
import type { Logger } from '../../logger/logger.js';
import type { HandlerClient, HandlerLocator } from './handler-client.js';
import { decideRestart, decideStart, decideStop, gracePeriodPatch, type Decision, type Patch } from './lifecycle.js';
import { dryRunOptions, parseBody, restartOptions, startOptions, stopOptions } from './options.js';
import { badRequest, conflict, internalError, notFound, StatusError, VM, VMI, type Qualified } from './status.js';

export interface ActionDeps {
  api: KubeApi;
  log: Logger;
  handlers: HandlerLocator;
  handlerClient: HandlerClient;
}

/** What a successful PUT answers: 202 for the VM lifecycle (the controller acts later), 200 for pause/unpause. */
export interface ActionResult {
  code: 200 | 202;
}

async function fetch<T extends KubeObject>(api: KubeApi, q: Qualified, res: typeof RESOURCES.virtualMachines, namespace: string, name: string): Promise<T | undefined> {
  try {
    return await api.get<T>(res, namespace, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw internalError(`unable to retrieve ${q.resource === 'virtualmachine' ? 'vm' : 'vmi'} [${name}]: ${(e as Error).message}`, e);
  }
}

// How the kube-apiserver (evanphx/json-patch) and the in-memory test server word a failed `test` operation.
const JSON_PATCH_TEST_FAILED = /test operation does not apply|testing value .* failed|test failed/i;

/** A patch the kube-apiserver refused, as the user's Status. */
function fromPatchError(e: unknown, q: Qualified, name: string): StatusError {
  if (e instanceof ApiError) {
    if (JSON_PATCH_TEST_FAILED.test(e.message) || e.code === 409) return conflict(q, name, e.message);
    if (e.code === 404) return notFound(q, name);
    if (e.code === 400 || e.code === 422 || e.code === 403) return new StatusError(e.code, e.code === 403 ? 'Forbidden' : 'BadRequest', e.message);
  }
  return internalError((e as Error).message, e);
}

export class Actions {
  constructor(private readonly d: ActionDeps) {}

  private async vm(namespace: string, name: string): Promise<VirtualMachine> {
    const vm = await fetch<VirtualMachine>(this.d.api, VM, RESOURCES.virtualMachines, namespace, name);
    if (!vm) throw notFound(VM, name);
    return vm;
  }

  private vmiOrNone(namespace: string, name: string): Promise<VirtualMachineInstance | undefined> {
    return fetch<VirtualMachineInstance>(this.d.api, VMI, RESOURCES.virtualMachineInstances, namespace, name);
  }

  async vmi(namespace: string, name: string): Promise<VirtualMachineInstance> {
    const vmi = await this.vmiOrNone(namespace, name);
    if (!vmi) throw notFound(VMI, name);
    return vmi;
  }

  private async apply(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined, decision: Decision, dryRun: boolean, action: string): Promise<ActionResult> {
    if ('error' in decision) throw decision.error;
    const { namespace = '', name = '' } = vm.metadata;
    const fields = { kind: 'VirtualMachine', namespace, name, uid: vm.metadata.uid, action, dryRun };
    // A dry run stops after the decision: the same refusals, nothing written.
    if (dryRun) {
      this.d.log.info('subresource dry run', { ...fields, patches: decision.patches });
      return { code: 202 };
    }
    const done: Patch[] = [];
    for (const p of decision.patches) {
      try {
        if (p.target === 'vmi') await this.d.api.patch(RESOURCES.virtualMachineInstances, namespace, vmi?.metadata.name ?? name, p.ops, 'json');
        else await this.d.api.patch(RESOURCES.virtualMachines, namespace, name, p.ops, 'json', p.target === 'vm-status' ? { subresource: 'status' } : {});
        done.push(p);
      } catch (e) {
        await this.rollBackGracePeriod(done, vmi);
        throw fromPatchError(e, p.target === 'vmi' ? VMI : VM, name);
      }
    }
    this.d.log.info('subresource request accepted', { ...fields, patches: decision.patches.map((p) => p.target) });
    return { code: 202 };
  }

  /** A grace period set for a stop/restart that then failed goes back to what it was (upstream does the same). */
  private async rollBackGracePeriod(done: Patch[], vmi: VirtualMachineInstance | undefined): Promise<void> {
    if (!vmi || !done.some((p) => p.target === 'vmi')) return;
    const previous = vmi.spec.terminationGracePeriodSeconds;
    const set = done.find((p) => p.target === 'vmi')?.ops.find((o) => o.op !== 'test' && o.op !== 'remove');
    const value = set && 'value' in set ? set.value : undefined;
    if (typeof value !== 'number') return;
    const ops = previous === undefined
      ? [{ op: 'test', path: '/spec/terminationGracePeriodSeconds', value }, { op: 'remove', path: '/spec/terminationGracePeriodSeconds' }]
      : gracePeriodPatch({ ...vmi, spec: { ...vmi.spec, terminationGracePeriodSeconds: value } }, previous).ops;
    try {
      await this.d.api.patch(RESOURCES.virtualMachineInstances, vmi.metadata.namespace, vmi.metadata.name ?? '', ops, 'json');
    } catch (e) {
      this.d.log.error('could not roll back the VMI terminationGracePeriodSeconds', { kind: 'VirtualMachineInstance', namespace: vmi.metadata.namespace, name: vmi.metadata.name, error: e });
    }
  }

  async start(namespace: string, name: string, body: string): Promise<ActionResult> {
    const vm = await this.vm(namespace, name);
    const vmi = await this.vmiOrNone(namespace, name);
    const opts = startOptions(parseBody(body));
    return this.apply(vm, vmi, decideStart(vm, vmi, opts), opts.dryRun, 'start');
  }

  async stop(namespace: string, name: string, body: string): Promise<ActionResult> {
    const opts = stopOptions(parseBody(body));
    const vm = await this.vm(namespace, name);
    const vmi = await this.vmiOrNone(namespace, name);
    return this.apply(vm, vmi, decideStop(vm, vmi, opts), opts.dryRun, 'stop');
  }

  async restart(namespace: string, name: string, body: string): Promise<ActionResult> {
    const opts = restartOptions(parseBody(body));
    if (opts.gracePeriodSeconds !== undefined && opts.gracePeriodSeconds > 0) throw badRequest('For force restart, only gracePeriod=0 is supported for now');
    const vm = await this.vm(namespace, name);
    const vmi = await this.vmiOrNone(namespace, name);
    return this.apply(vm, vmi, decideRestart(vm, vmi, opts), opts.dryRun, 'restart');
  }

  async pauseOrUnpause(action: 'pause' | 'unpause', namespace: string, name: string, body: string): Promise<ActionResult> {
    const { dryRun } = dryRunOptions(parseBody(body));
    const vmi = await this.vmi(namespace, name);
    checkPausable(action, vmi);
    const node = vmi.status?.nodeName;
    if (!node) throw conflict(VMI, name, 'VMI is not running');
    if (dryRun) return { code: 200 };
    await this.d.handlerClient.put(await this.d.handlers.forNode(node), namespace, name, action);
    this.d.log.info(`subresource ${action} done`, { kind: 'VirtualMachineInstance', namespace, name, uid: vmi.metadata.uid, node });
    return { code: 200 };
  }
}

const hasPausedCondition = (vmi: VirtualMachineInstance): boolean => (vmi.status?.conditions ?? []).some((c) => c.type === 'Paused');

/** upstream's pause/unpause validation: a running VMI, not already paused / paused. */
export function checkPausable(action: 'pause' | 'unpause', vmi: VirtualMachineInstance): void {
  const name = vmi.metadata.name ?? '';
  if (vmi.status?.phase !== 'Running') throw conflict(VMI, name, action === 'pause' ? 'VM is not running' : 'VMI is not running');
  const paused = hasPausedCondition(vmi);
  if (action === 'pause' && paused) throw conflict(VMI, name, 'VMI is already paused');
  if (action === 'unpause' && !paused) throw conflict(VMI, name, 'VMI is not paused');
}

/** upstream's console/vnc checks, before the stream is opened. */
export function checkStreamable(kind: 'console' | 'vnc', vmi: VirtualMachineInstance): void {
  const name = vmi.metadata.name ?? '';
  const devices = vmi.spec.domain.devices;
  if (kind === 'console' && devices?.autoattachSerialConsole === false) throw badRequest('No serial consoles are present.');
  if (kind === 'vnc' && devices?.autoattachGraphicsDevice === false) throw badRequest('No graphics devices are present.');
  if (kind === 'console' && vmi.status?.phase === 'Failed') throw conflict(VMI, name, 'VMI is in failed status');
  if (vmi.status?.phase !== 'Running') throw badRequest('VMI is not running');
}
