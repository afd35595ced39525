// One Kubernetes object of a generated manifest as a Pulumi resource of @pulumi/kubernetes, with the type
// token the provider and users know (`kubernetes:core/v1:Namespace`, `kubernetes:apps/v1:Deployment`): the
// typed class for core objects (whose token is not derivable from apiVersion), CustomResource otherwise
// (its token, `kubernetes:<group>/<version>:<Kind>`, is the typed classes' own for every other group).
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { KubeObject } from '../virt/kube/api.js';

export type ManifestObject = KubeObject & Record<string, unknown>;

type CoreConstructor = new (name: string, args: Record<string, unknown>, opts: pulumi.CustomResourceOptions) => pulumi.CustomResource;

const CORE: Record<string, CoreConstructor> = {
  Namespace: k8s.core.v1.Namespace as unknown as CoreConstructor,
  ServiceAccount: k8s.core.v1.ServiceAccount as unknown as CoreConstructor,
  Service: k8s.core.v1.Service as unknown as CoreConstructor,
  Secret: k8s.core.v1.Secret as unknown as CoreConstructor,
  ConfigMap: k8s.core.v1.ConfigMap as unknown as CoreConstructor,
};

/**
 * Upstream's annotation that makes its server-side apply force conflicts: the program's values win over
 * fields another field manager took (the install command's forced apply, kubectl, virtctl).
 */
export const PATCH_FORCE_ANNOTATION = 'pulumi.com/patchForce';

/**
 * A CRD's schemas without `properties: {}`. Upstream's provider reports a CRD carrying an empty properties
 * map as changed on every preview (`+ properties: {}`) and applies it again on every update, and each CRD
 * update restarts the API server's watches of its objects (the controllers' informers re-list). A structural
 * schema means the same without it: an object with no declared fields.
 */
export function withoutEmptyProperties<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => withoutEmptyProperties(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === 'properties' && v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = withoutEmptyProperties(v);
  }
  return out as T;
}

/** The Pulumi type token of an object, e.g. kubernetes:core/v1:Namespace. */
export function typeTokenOf(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): string {
  const apiVersion = obj.apiVersion ?? '';
  return `kubernetes:${apiVersion.includes('/') ? apiVersion : `core/${apiVersion}`}:${obj.kind ?? ''}`;
}

/**
 * The resource for `obj`. A `gate` holds its metadata back until it resolves (a refusal rejects it, so
 * nothing is sent, and resources that depend on this one fail with the same error, reported once).
 */
export function kubeResource(name: string, obj: ManifestObject, opts: pulumi.CustomResourceOptions, gate?: pulumi.Output<unknown>): pulumi.CustomResource {
  const { apiVersion, kind, metadata, ...rest } = obj.kind === 'CustomResourceDefinition' ? withoutEmptyProperties(obj) : obj;
  if (!apiVersion || !kind) throw new Error(`manifest object ${name} has no apiVersion or kind`);
  // The stack's objects are the component's own, also where `npm run stack:up` applied them first.
  const owned = { ...metadata, annotations: { ...metadata.annotations, [PATCH_FORCE_ANNOTATION]: 'true' } };
  const args = { apiVersion, kind, metadata: gate ? gate.apply(() => owned) : owned, ...rest };
  if (!apiVersion.includes('/')) {
    const ctor = CORE[kind];
    if (!ctor) throw new Error(`${kind} (${apiVersion}): no @pulumi/kubernetes class is mapped for this core kind; add it to CORE in components/kube-object.ts`);
    return new ctor(name, args, opts);
  }
  return new k8s.apiextensions.CustomResource(name, args as k8s.apiextensions.CustomResourceArgs, opts);
}

/** A Pulumi resource name for an object of the component `prefix`: unique per kind, no colons (URN separators). */
export function childName(prefix: string, obj: KubeObject): string {
  return `${prefix}-${(obj.metadata.name ?? '').replace(/:/g, '-')}`;
}
