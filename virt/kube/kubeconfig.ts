// Where the processes and CLIs find the API server and their credentials, the way kubectl does: an explicit
// kubeconfig file, else the pod's service account when running in a cluster, else $KUBECONFIG or
// ~/.kube/config. @kubernetes/client-node does the parsing and the auth plugins (token files, exec).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

/** No usable configuration; the message says where it looked and what to set. */
export class KubeConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeConfigError';
  }
}

export interface LoadKubeConfigOptions {
  /** A kubeconfig file; wins over everything else. */
  kubeconfig?: string;
  /** A context of that configuration instead of its current-context. */
  context?: string;
}

export function loadKubeConfig(opts: LoadKubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  let source: string;
  try {
    if (opts.kubeconfig) {
      source = opts.kubeconfig;
      kc.loadFromFile(opts.kubeconfig);
    } else if (process.env.KUBERNETES_SERVICE_HOST && !process.env.KUBECONFIG) {
      source = 'the in-cluster service account';
      kc.loadFromCluster();
    } else {
      const home = join(homedir(), '.kube', 'config');
      source = process.env.KUBECONFIG ? `KUBECONFIG=${process.env.KUBECONFIG}` : home;
      // client-node would fall back to http://localhost:8080 silently; say what is missing instead.
      if (!process.env.KUBECONFIG && !existsSync(home)) {
        throw new KubeConfigError(`no kubeconfig: KUBECONFIG is not set and ${home} does not exist; pass --kubeconfig or set KUBECONFIG (the local cluster writes one: npm run cluster:up)`);
      }
      kc.loadFromDefault();
    }
  } catch (e) {
    if (e instanceof KubeConfigError) throw e;
    throw new KubeConfigError(`cannot load the kubeconfig from ${opts.kubeconfig ?? 'the default locations'}: ${(e as Error).message}`, { cause: e });
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeConfigError(`context "${opts.context}" is not in ${source} (contexts: ${known.length ? known.join(', ') : 'none'})`);
    }
    kc.setCurrentContext(opts.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) {
    throw new KubeConfigError(`${source}: current context "${kc.getCurrentContext() || '(none)'}" names no cluster with a server; set current-context or pass a context`);
  }
  return kc;
}
