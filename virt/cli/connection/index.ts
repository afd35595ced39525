// virtctl's connection to a cluster: flags, kubeconfig, namespace, subresource calls and their errors.
export { CliError } from './cli-error.js';
export { CONNECTION_OPTIONS, CONNECTION_USAGE, connectionFlagsOf, type ConnectionFlags } from './connection-flags.js';
export { connectCluster, namespaceOf, subresourcePath, SUBRESOURCE_GROUP_VERSION, type Cluster, type SubresourceKind } from './cluster.js';
export { statusError, SubresourceError } from './subresource-error.js';
export { oneLine, runClusterCommand, usageError, type ClusterCommandSpec } from './run-cluster-command.js';
export { openVmiStream, type WaitOptions } from './vmi-stream.js';
