// What may change when an object is updated, as upstream's admitters decide it (admission-only rules:
// virtctl validate sees one document, never a pair). A VMI's spec belongs to the stack once created
// (upstream vmi-update-admitter: only KubeVirt's own service accounts change it); a migration's spec and a
// DataVolume's spec are fixed for everyone (upstream migration-update-admitter, CDI's datavolume-validate).
// Status of VMs and VMIs is written by the stack only.
import type { FieldError } from './field-error.js';
import { joinPath } from './field-path.js';

export interface UpdateContext {
  /** The served kind, e.g. "VirtualMachineInstance". */
  kind: string;
  /** "" for the object itself, "status" for the status subresource. */
  subresource: string;
  /** Whether the request comes from one of the stack's own service accounts. */
  byStack: boolean;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => same(a[k], b[k]));
  }
  return false;
}

/**
 * The first field where `a` and `b` differ, as a full path below `base` (the deepest common object, so the
 * user sees which field they changed, not just "spec"). Iterative: the objects come from the API server
 * and may be deep.
 */
export function firstDifference(a: unknown, b: unknown, base: string): string | undefined {
  let x = a;
  let y = b;
  let path = base;
  for (;;) {
    if (same(x, y)) return undefined;
    if (isObject(x) && isObject(y)) {
      const xo = x;
      const yo = y;
      const k = [...new Set([...Object.keys(xo), ...Object.keys(yo)])].sort().find((key) => !same(xo[key], yo[key]));
      if (k === undefined) return path;
      path = joinPath(path, k);
      x = xo[k];
      y = yo[k];
      continue;
    }
    if (Array.isArray(x) && Array.isArray(y) && x.length === y.length) {
      const yl = y;
      const i = x.findIndex((v, idx) => !same(v, yl[idx]));
      if (i < 0) return path;
      path = joinPath(path, i);
      x = x[i];
      y = yl[i];
      continue;
    }
    return path;
  }
}

const STATUS_OWNED: ReadonlySet<string> = new Set(['VirtualMachine', 'VirtualMachineInstance']);

/** Errors for an update from `oldObj` to `newObj`; empty when the update may go ahead. */
export function checkUpdate(ctx: UpdateContext, oldObj: unknown, newObj: unknown): FieldError[] {
  const oldO = isObject(oldObj) ? oldObj : {};
  const newO = isObject(newObj) ? newObj : {};
  if (ctx.subresource === 'status') {
    if (ctx.byStack || !STATUS_OWNED.has(ctx.kind)) return [];
    const path = firstDifference(oldO.status, newO.status, 'status');
    if (path === undefined) return [];
    return [{
      path, reason: 'Invalid',
      message: `the status of a ${ctx.kind} is written by virtstack's controller and handlers only`,
      hint: ctx.kind === 'VirtualMachine' ? 'change spec (e.g. spec.runStrategy) or use virtctl start/stop/restart; the controller reports status' : 'the VMI reports what runs; change its VirtualMachine instead',
    }];
  }
  const rule = immutableSpec(ctx);
  if (!rule) return [];
  const path = firstDifference(oldO.spec, newO.spec, 'spec');
  if (path === undefined) return [];
  return [{ path, reason: 'Invalid', message: rule.message, hint: rule.hint }];
}

function immutableSpec(ctx: UpdateContext): { message: string; hint: string } | undefined {
  switch (ctx.kind) {
    case 'VirtualMachineInstance':
      return ctx.byStack ? undefined : { message: 'the spec of a VirtualMachineInstance cannot change once it is created', hint: 'change the VirtualMachine\'s spec.template and restart it (virtctl restart), or delete and recreate the VMI' };
    case 'VirtualMachineInstanceMigration':
      return { message: 'the spec of a VirtualMachineInstanceMigration cannot change once it is created', hint: 'delete it and create a new migration' };
    case 'DataVolume':
      // Kubernetes' wording for an immutable field ("field is immutable"): clients key on it, e.g. the Pulumi
      // Kubernetes provider's preview of a replacement retries its dry run under another name when it sees it.
      return { message: 'field is immutable: the spec of a DataVolume cannot change once it is created', hint: 'create a new DataVolume (a pvc source clones this one)' };
    default:
      return undefined;
  }
}
