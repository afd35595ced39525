// How a component reaches the cluster for what the Kubernetes provider cannot do for it: refusing an
// upstream KubeVirt before anything is created, waiting for the handler's node labels and for a VM's
// Ready with its VMI's conditions and events, and draining VMs on destroy. It finds the cluster the way the
// default Kubernetes provider does (the component's `kubeconfig` arg, else the stack's
// `kubernetes:kubeconfig`/`kubernetes:context` config, else KUBECONFIG or ~/.kube/config) and every caller
// checks the object it waits for by uid, so a provider pointed elsewhere is reported instead of waited on.
import * as pulumi from '@pulumi/pulumi';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeApi } from '../virt/kube/api.js';
import { HttpKubeApi } from '../virt/kube/http-api.js';
import { KubeConfigError, loadKubeConfig } from '../virt/kube/kubeconfig.js';

/** Where the cluster is: a kubeconfig path or its contents, and a context of it. */
export interface ClusterTarget {
  kubeconfig?: string;
  context?: string;
}

export type ClusterConnector = (target: ClusterTarget) => KubeApi;

/** A kubeconfig given as contents (as the Kubernetes provider accepts it) rather than as a path. */
export function isKubeconfigContents(kubeconfig: string): boolean {
  return kubeconfig.includes('apiVersion:') || kubeconfig.trimStart().startsWith('{');
}

const defaultConnector: ClusterConnector = (target) => {
  let kc: KubeConfig;
  if (target.kubeconfig && isKubeconfigContents(target.kubeconfig)) {
    kc = new KubeConfig();
    try {
      kc.loadFromString(target.kubeconfig);
    } catch (e) {
      throw new KubeConfigError(`the kubeconfig given as contents does not parse: ${(e as Error).message}`, { cause: e });
    }
    if (target.context) kc.setCurrentContext(target.context);
  } else {
    kc = loadKubeConfig({ ...(target.kubeconfig ? { kubeconfig: target.kubeconfig } : {}), ...(target.context ? { context: target.context } : {}) });
  }
  return new HttpKubeApi(kc, { userAgent: 'virtstack-pulumi' });
};

let connector: ClusterConnector = defaultConnector;

/** Unit tests put an in-memory API here (with Pulumi's mocks there is no cluster); returns the previous one. */
export function setClusterConnector(next: ClusterConnector | undefined): ClusterConnector {
  const prev = connector;
  connector = next ?? defaultConnector;
  return prev;
}

export function connectCluster(target: ClusterTarget): KubeApi {
  return connector(target);
}

/** The component's own kubeconfig wins; otherwise what the default Kubernetes provider reads from stack config. */
export function clusterTarget(kubeconfig: string | undefined): ClusterTarget {
  const config = new pulumi.Config('kubernetes');
  const k = kubeconfig ?? config.get('kubeconfig');
  const context = config.get('context');
  return { ...(k ? { kubeconfig: k } : {}), ...(context ? { context } : {}) };
}
