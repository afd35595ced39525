// kubectl's connection flags, shared by every virtctl command that talks to a cluster.
export interface ConnectionFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

/** The flags' parseArgs options; spread into a command's own. */
export const CONNECTION_OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
} as const;

export const CONNECTION_USAGE = `connection options (as kubectl's):
  --kubeconfig FILE       the kubeconfig to use (default: $KUBECONFIG, else ~/.kube/config; in a pod its service account)
  --context NAME          a context of that kubeconfig instead of its current-context
  -n, --namespace NAME    the namespace (default: the context's namespace, else "default")
`;

export function connectionFlagsOf(values: { kubeconfig?: string | boolean; context?: string | boolean; namespace?: string | boolean }): ConnectionFlags {
  const s = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);
  const kubeconfig = s(values.kubeconfig);
  const context = s(values.context);
  const namespace = s(values.namespace);
  return { ...(kubeconfig !== undefined ? { kubeconfig } : {}), ...(context !== undefined ? { context } : {}), ...(namespace !== undefined ? { namespace } : {}) };
}
