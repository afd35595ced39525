// The pod network the handler prepares for a guest: masquerade (NAT behind the pod IP) or bridge (the
// guest takes the pod IP), in the pod's own network namespace.
export { preparePodNetwork, describePodNetwork, type PodNetworkRequest, type PodNetworkResult } from './pod-network.js';
export type { Binding, GuestAddress, PreparedPodNetwork } from './prepared-network.js';
export type { ForwardedPort } from './nat-rules.js';
export { readPodDns, parseResolvConf, type PodDns } from './pod-dns.js';
export { NetworkSetupError, type NetworkStep } from './errors.js';
export { nsenterExec, type NetnsExec } from './netns-exec.js';
export { POD_NETWORK } from './layout.js';
export { NodePodNetwork, forLauncher, podInterfaceOf, type LauncherPodNetwork, type NodePodNetworkOptions } from './node-pod-network.js';
