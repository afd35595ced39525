// Every object that installs the stack, generated from code in this one place: `virtctl`'s install
// command applies them, the Pulumi KubeVirtInstall component creates exactly these, the tests assert on
// them. Least privilege: each process's service account may do what its code does, nothing more.
import { crdFor } from '../api/crd/crd.js';
import { SERVED_KINDS } from '../api/kinds.js';
import type { KubeObject } from '../kube/api.js';
import { apiserverManifests } from './apiserver-manifests.js';
import { imageOf, podTemplateMetadata, resolveInstallOptions, type InstallOptions, type ResolvedInstallOptions } from './install-options.js';
import { subresourceManifests } from './subresource-manifests.js';

export const PART_OF = { 'app.kubernetes.io/part-of': 'virtstack' } as const;
export const CONTROLLER_NAME = 'virt-controller';
export const HANDLER_NAME = 'virt-handler';
/** The Lease the controller replicas elect their leader on. */
export const CONTROLLER_LEASE = 'virt-controller';

export type Obj = KubeObject & Record<string, unknown>;

export const labels = (component: string): Record<string, string> => ({ ...PART_OF, 'app.kubernetes.io/component': component, 'kubevirt.io': component });

export interface Rule {
  apiGroups: string[];
  resources: string[];
  /** Narrows the rule to these objects (get, update, patch, delete; list/watch with a metadata.name field selector). */
  resourceNames?: string[];
  verbs: string[];
}

const READ = ['get', 'list', 'watch'];

export const CONTROLLER_RULES: readonly Rule[] = [
  // The pool controller creates, updates and deletes its VMs; the VM controller only updates them.
  { apiGroups: ['kubevirt.io'], resources: ['virtualmachines'], verbs: [...READ, 'create', 'update', 'patch', 'delete'] },
  { apiGroups: ['kubevirt.io'], resources: ['virtualmachines/status'], verbs: ['update', 'patch'] },
  { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances'], verbs: [...READ, 'create', 'update', 'patch', 'delete'] },
  { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances/status'], verbs: ['update', 'patch'] },
  { apiGroups: ['pool.kubevirt.io'], resources: ['virtualmachinepools'], verbs: READ },
  { apiGroups: ['pool.kubevirt.io'], resources: ['virtualmachinepools/status'], verbs: ['update', 'patch'] },
  // Migrations: their finalizer and status; the evacuation controller creates them for a drained node's VMIs.
  { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstancemigrations'], verbs: [...READ, 'create', 'update', 'patch'] },
  { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstancemigrations/status'], verbs: ['update', 'patch'] },
  // One PodDisruptionBudget per evictionStrategy LiveMigrate VMI (upstream's disruption-budget controller).
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: [...READ, 'create', 'update', 'delete'] },
  { apiGroups: [''], resources: ['pods'], verbs: [...READ, 'create', 'delete'] },
  { apiGroups: [''], resources: ['nodes'], verbs: READ },
  // DataVolumes: their claims (CDI's import annotations on them) and importer pods; a VM's dataVolumeTemplates.
  { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: [...READ, 'create', 'update', 'patch', 'delete'] },
  { apiGroups: ['cdi.kubevirt.io'], resources: ['datavolumes'], verbs: [...READ, 'create'] },
  { apiGroups: ['cdi.kubevirt.io'], resources: ['datavolumes/status'], verbs: ['update', 'patch'] },
  { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: READ },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch', 'update'] },
];

/** Only in the stack's namespace: the leader-election Lease. */
export const CONTROLLER_NAMESPACE_RULES: readonly Rule[] = [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }];

export const HANDLER_RULES: readonly (Rule & { resourceNames?: string[] })[] = [
  // patch: a migration's target handler moves the VMI's kubevirt.io/nodeName label to its node (as upstream's).
  { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances'], verbs: [...READ, 'patch'] },
  { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances/status'], verbs: ['update', 'patch'] },
  { apiGroups: [''], resources: ['pods'], verbs: READ },
  // Its own node's labels (RBAC cannot narrow this to one node; upstream's handler has the same).
  { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch', 'update'] },
];

/**
 * Only in the stack's namespace (a Role: a ClusterRole's resourceNames would match a Secret of that name
 * in any namespace): its endpoint's certificate, by name (the watch is narrowed with a fieldSelector).
 */
export const HANDLER_NAMESPACE_RULES: readonly Rule[] = [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['virt-handler-certs'], verbs: READ }];

export function serviceAccount(o: ResolvedInstallOptions, name: string): Obj {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: o.namespace, labels: labels(name) } };
}

export function clusterRole(name: string, rules: readonly Rule[]): Obj {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `virtstack:${name}`, labels: labels(name) }, rules: rules.map((r) => ({ ...r })) };
}

export function clusterRoleBinding(o: ResolvedInstallOptions, name: string): Obj {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `virtstack:${name}`, labels: labels(name) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `virtstack:${name}` },
    subjects: [{ kind: 'ServiceAccount', name, namespace: o.namespace }],
  };
}

export function role(o: ResolvedInstallOptions, name: string, rules: readonly Rule[]): Obj[] {
  return [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: `virtstack:${name}`, namespace: o.namespace, labels: labels(name) }, rules: rules.map((r) => ({ ...r })) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `virtstack:${name}`, namespace: o.namespace, labels: labels(name) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `virtstack:${name}` },
      subjects: [{ kind: 'ServiceAccount', name, namespace: o.namespace }],
    },
  ];
}

// tini as PID 1 reaps what the processes' children leave (the handler runs nsenter, iptables, QEMU probes).
export const NODE_ENTRY = (entry: string): string[] => ['/usr/bin/tini', '-s', '--', 'node', `/opt/virtstack/dist/virt/cmd/${entry}.js`];

function controllerDeployment(o: ResolvedInstallOptions): Obj {
  const l = labels(CONTROLLER_NAME);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: CONTROLLER_NAME, namespace: o.namespace, labels: l },
    spec: {
      replicas: o.controllerReplicas,
      selector: { matchLabels: { 'kubevirt.io': CONTROLLER_NAME } },
      template: {
        metadata: podTemplateMetadata(o, l),
        spec: {
          serviceAccountName: CONTROLLER_NAME,
          securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          // Replicas on different nodes where possible, so a node failure leaves a standby.
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'kubevirt.io': CONTROLLER_NAME } } } },
              ],
            },
          },
          containers: [
            {
              name: CONTROLLER_NAME,
              image: imageOf(o, 'controller'),
              imagePullPolicy: o.imagePullPolicy,
              command: NODE_ENTRY('controller'),
              args: [`--namespace=${o.namespace}`, `--launcher-image=${imageOf(o, 'launcher')}`, `--importer-image=${o.imagePrefix}importer:${o.imageTag}`, `--emulation=${o.emulation}`, `--log-level=${o.logLevel}`, ...(Object.keys(o.migrations).length ? [`--migrations=${JSON.stringify(o.migrations)}`] : [])],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              ],
              // As the handler's (see there): at 10m (10 shares against 102 per launcher) beside booting guests, 10 VMs
              // created at once waited up to 40 s for their VMI and 40 s more for Scheduled (bench vm notes).
              resources: { requests: { cpu: '100m', memory: '96Mi' }, limits: { memory: '384Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    },
  };
}

function handlerDaemonSet(o: ResolvedInstallOptions): Obj {
  const l = labels(HANDLER_NAME);
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: HANDLER_NAME, namespace: o.namespace, labels: l },
    spec: {
      selector: { matchLabels: { 'kubevirt.io': HANDLER_NAME } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: podTemplateMetadata(o, l),
        spec: {
          serviceAccountName: HANDLER_NAME,
          // Launcher processes and their pods' network namespaces are reached through the host's /proc.
          hostPID: true,
          tolerations: [{ operator: 'Exists' }],
          // VMs keep running while the handler restarts; it need not wait long to go.
          terminationGracePeriodSeconds: 15,
          containers: [
            {
              name: HANDLER_NAME,
              image: imageOf(o, 'handler'),
              imagePullPolicy: o.imagePullPolicy,
              command: NODE_ENTRY('handler'),
              args: [`--node-name=$(NODE_NAME)`, `--namespace=${o.namespace}`, `--kubelet-root-dir=${o.kubeletRootDir}`, `--state-dir=${o.handlerStateDir}`, `--log-level=${o.logLevel}`],
              env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
              // The mutual-TLS endpoint the api reaches the node through (pause, console, vnc), on the pod IP.
              ports: [{ name: HANDLER_NAME, containerPort: 8186, protocol: 'TCP' }],
              // CPU is shared by cpu.shares (requests) once guests saturate the node: at 10m (10 shares against
              // 102 for each launcher's 100m) the handler got ~1/60 of a busy node, every command it runs in a pod's
              // namespace took ~0.5 s and VMIs waited ~30 s for their pod network (README "Cluster benchmark").
              // As much as one launcher's request keeps it responsive beside a node full of booting guests.
              resources: { requests: { cpu: '100m', memory: '128Mi' } },
              // The only privileged pod of the stack: taps and NAT in pods' network namespaces, /dev/kvm, device plugins.
              securityContext: { privileged: true },
              volumeMounts: [
                // Same path inside as on the node: socket paths are computed the same way on both sides. No
                // mount propagation: what the handler reaches (emptyDir sockets, device-plugin sockets) are plain
                // files under the folder, not mounts, and propagation needs a shared or slave mount on the node.
                { name: 'kubelet', mountPath: o.kubeletRootDir },
                { name: 'state', mountPath: o.handlerStateDir },
              ],
            },
          ],
          volumes: [
            { name: 'kubelet', hostPath: { path: o.kubeletRootDir, type: 'Directory' } },
            { name: 'state', hostPath: { path: o.handlerStateDir, type: 'DirectoryOrCreate' } },
          ],
        },
      },
    },
  };
}

/** The stack's objects in apply order: namespace, CRDs, identities and RBAC, workloads. */
export function installManifests(options: InstallOptions = {}): Obj[] {
  const o = resolveInstallOptions(options);
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: o.namespace,
        // The handler is privileged by design; VMs run in users' namespaces, which may enforce baseline.
        labels: { ...PART_OF, 'pod-security.kubernetes.io/enforce': 'privileged' },
      },
    },
    ...SERVED_KINDS.map((k) => crdFor(k) as unknown as Obj),
    serviceAccount(o, CONTROLLER_NAME),
    clusterRole(CONTROLLER_NAME, CONTROLLER_RULES),
    clusterRoleBinding(o, CONTROLLER_NAME),
    ...role(o, CONTROLLER_NAME, CONTROLLER_NAMESPACE_RULES),
    serviceAccount(o, HANDLER_NAME),
    clusterRole(HANDLER_NAME, HANDLER_RULES),
    clusterRoleBinding(o, HANDLER_NAME),
    ...role(o, HANDLER_NAME, HANDLER_NAMESPACE_RULES),
    controllerDeployment(o),
    handlerDaemonSet(o),
    ...apiserverManifests(o),
    ...subresourceManifests(o),
  ];
}
