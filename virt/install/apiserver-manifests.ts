// The virt-api's objects: identity and least-privilege RBAC for what its code does (the cert manager's
// Secrets, Lease and caBundle patches), a 2-replica Deployment that rolls without losing admission
// (maxUnavailable 0, a PodDisruptionBudget, readiness on the HTTPS server), its Service, and the webhook
// configurations — without caBundle: the api's leader injects it at run time, so no static manifest
// (stack:up, Pulumi, rendered YAML) carries key material.
import { MUTATING_CONFIGURATION, VALIDATING_CONFIGURATION, WEBHOOKS, type WebhookSpec } from '../apiserver/admission/webhooks.js';
import { ALL_CERT_SECRETS, API_CLIENT_SECRET, API_SERVING_SECRET } from '../certs/stack-certificates.js';
import { imageOf, podTemplateMetadata, type ResolvedInstallOptions } from './install-options.js';
import { stackUsernames } from '../apiserver/admission/admit.js';
import { clusterRole, clusterRoleBinding, CONTROLLER_NAME, HANDLER_NAME, labels, NODE_ENTRY, role, serviceAccount, type Obj, type Rule } from './manifests.js';

export const API_NAME = 'virt-api';
/** The Lease the api replicas elect the certificate issuer on. */
export const API_LEASE = 'virt-api';
export const API_PORT = 8443;
/** The APIService whose caBundle the api injects (the object itself is the subresource API's). */
export const SUBRESOURCE_API_SERVICE = 'v1.subresources.kubevirt.io';
/**
 * The stack's own service accounts: they write status and a VMI's spec (the admission policy's exception).
 * A function, not a constant: manifests.ts and this file import each other, and a constant built from its
 * names at load time would read them before manifests.ts has set them.
 */
export function stackServiceAccounts(): string[] {
  return [CONTROLLER_NAME, HANDLER_NAME, API_NAME];
}

/** The kube-apiserver's wait for one webhook call; failurePolicy Fail refuses the request after it. */
export const WEBHOOK_TIMEOUT_SECONDS = 10;

export const API_RULES: readonly Rule[] = [
  // caBundle injection, on these objects only.
  { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: [MUTATING_CONFIGURATION], verbs: ['get', 'patch'] },
  { apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], resourceNames: [VALIDATING_CONFIGURATION], verbs: ['get', 'patch'] },
  { apiGroups: ['apiregistration.k8s.io'], resources: ['apiservices'], resourceNames: [SUBRESOURCE_API_SERVICE], verbs: ['get', 'patch'] },
  // The migration and eviction admission checks read the VMI (and its other migrations, the evicted pod);
  // an eviction of a LiveMigrate VMI's pod marks the VMI's status.evacuationNodeName.
  { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances', 'virtualmachineinstancemigrations'], verbs: ['get', 'list'] },
  { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances/status'], verbs: ['patch'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
];

/** In the stack's namespace: the certificate Secrets (create cannot be narrowed by name) and the Lease. */
export const API_NAMESPACE_RULES: readonly Rule[] = [
  { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
  { apiGroups: [''], resources: ['secrets'], resourceNames: [...ALL_CERT_SECRETS], verbs: ['get', 'update'] },
  // The servers' live view of their own certificates (watchTlsSecret).
  { apiGroups: [''], resources: ['secrets'], resourceNames: [API_SERVING_SECRET, API_CLIENT_SECRET], verbs: ['list', 'watch'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [API_LEASE], verbs: ['get', 'update'] },
];

function ruleOf(w: WebhookSpec): Record<string, unknown> {
  return { apiGroups: [w.group], apiVersions: [w.version], resources: [...w.resources], operations: [...w.operations], scope: 'Namespaced' };
}

function webhookConfiguration(o: ResolvedInstallOptions, type: WebhookSpec['type']): Obj {
  const mutating = type === 'mutating';
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: mutating ? 'MutatingWebhookConfiguration' : 'ValidatingWebhookConfiguration',
    metadata: { name: mutating ? MUTATING_CONFIGURATION : VALIDATING_CONFIGURATION, labels: labels(API_NAME) },
    webhooks: WEBHOOKS.filter((w) => w.type === type).map((w) => ({
      name: w.name,
      admissionReviewVersions: ['v1'],
      clientConfig: { service: { name: API_NAME, namespace: o.namespace, path: w.path, port: 443 } },
      rules: [ruleOf(w)],
      // Down means refused, never let through unchecked.
      failurePolicy: 'Fail',
      matchPolicy: 'Equivalent',
      sideEffects: 'None',
      timeoutSeconds: WEBHOOK_TIMEOUT_SECONDS,
      ...(mutating ? { reinvocationPolicy: 'IfNeeded' } : {}),
      // The stack's status writes are always allowed (update-rules.ts): not calling the webhook for them
      // spares a round trip on every status change the controller and handlers make.
      ...(w.resources.every((r) => r.endsWith('/status'))
        ? { matchConditions: [{ name: 'not-the-stack', expression: `!(request.userInfo.username in ${JSON.stringify([...stackUsernames(o.namespace, stackServiceAccounts())])})` }] }
        : {}),
    })),
  };
}

function apiDeployment(o: ResolvedInstallOptions): Obj {
  const l = labels(API_NAME);
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({ httpGet: { path, port: 'https', scheme: 'HTTPS' }, periodSeconds, failureThreshold, timeoutSeconds: 3 });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: API_NAME, namespace: o.namespace, labels: l },
    spec: {
      replicas: 2,
      selector: { matchLabels: { 'kubevirt.io': API_NAME } },
      // A new replica must be ready before an old one goes: admission is never down during a rollout.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: podTemplateMetadata(o, l),
        spec: {
          serviceAccountName: API_NAME,
          securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'kubevirt.io': API_NAME } } } },
              ],
            },
          },
          // Covers the drain delay (the endpoints update reaches every kube-apiserver) and open requests.
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: API_NAME,
              image: imageOf(o, 'controller'),
              imagePullPolicy: o.imagePullPolicy,
              command: NODE_ENTRY('apiserver'),
              args: [`--namespace=${o.namespace}`, `--port=${API_PORT}`, `--log-level=${o.logLevel}`, ...(o.evictionStrategy ? [`--eviction-strategy=${o.evictionStrategy}`] : [])],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              ],
              ports: [{ name: 'https', containerPort: API_PORT, protocol: 'TCP' }],
              readinessProbe: probe('/readyz', 2, 2),
              livenessProbe: { ...probe('/healthz', 10, 6), initialDelaySeconds: 60 },
              // Every create of a VM, VMI, migration, pool or DataVolume waits on this process twice. Under
              // CPU contention the request is the weight (cpu.shares): at 10m it got ~1/10 of a launcher pod's
              // share, as the handler and controller did before they moved to 100m.
              resources: { requests: { cpu: '100m', memory: '96Mi' }, limits: { memory: '384Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    },
  };
}

export function apiserverManifests(o: ResolvedInstallOptions): Obj[] {
  const l = labels(API_NAME);
  return [
    serviceAccount(o, API_NAME),
    clusterRole(API_NAME, API_RULES),
    clusterRoleBinding(o, API_NAME),
    ...role(o, API_NAME, API_NAMESPACE_RULES),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: API_NAME, namespace: o.namespace, labels: l },
      spec: { selector: { 'kubevirt.io': API_NAME }, ports: [{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }] },
    },
    apiDeployment(o),
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: API_NAME, namespace: o.namespace, labels: l },
      spec: { minAvailable: 1, selector: { matchLabels: { 'kubevirt.io': API_NAME } } },
    },
    webhookConfiguration(o, 'mutating'),
    webhookConfiguration(o, 'validating'),
  ];
}
