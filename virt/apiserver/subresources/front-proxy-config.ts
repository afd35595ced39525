// The front-proxy settings, kept current: the kube-apiserver rewrites its ConfigMap when its request-header
// CA or allowed names change, and requests are checked against what it says now, without a restart.
import type { KubeApi, KubeObject } from '../../kube/api.js';
import { Informer } from '../../kube/informer.js';
import { RESOURCES } from '../../kube/resources.js';
import type { Logger } from '../../logger/logger.js';
import { AUTH_CONFIGMAP, parseRequestHeaderConfig, type RequestHeaderConfig } from './front-proxy.js';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

export interface RequestHeaderConfigWatch {
  /** The last usable settings; undefined before the first (every request is 401 until then). */
  current(): RequestHeaderConfig | undefined;
  stop(): Promise<void>;
}

export function watchRequestHeaderConfig(api: KubeApi, log: Logger): RequestHeaderConfigWatch {
  const id = `${AUTH_CONFIGMAP.namespace}/${AUTH_CONFIGMAP.name}`;
  let cfg: RequestHeaderConfig | undefined;
  let lastRaw: string | undefined;
  const informer = new Informer<ConfigMap>(api, RESOURCES.configMaps, {
    namespace: AUTH_CONFIGMAP.namespace,
    fieldSelector: `metadata.name=${AUTH_CONFIGMAP.name}`,
    log: log.child({ configMap: id }),
  });
  const seen = (cm: ConfigMap): void => {
    const raw = JSON.stringify(cm.data ?? {});
    if (raw === lastRaw) return;
    lastRaw = raw;
    try {
      cfg = parseRequestHeaderConfig(cm.data);
      log.info('front-proxy authentication settings loaded', { configMap: id, allowedNames: cfg.allowedNames, usernameHeaders: cfg.usernameHeaders, clientCas: cfg.clientCas.length });
    } catch (e) {
      // The last good settings stay: a half-written ConfigMap must not lock every user out.
      log.error('front-proxy authentication settings unusable; keeping the previous ones', { configMap: id, error: e });
    }
  };
  informer.addHandlers({ add: seen, update: (_old, cm) => seen(cm) });
  informer.start();
  return { current: () => cfg, stop: () => informer.stop() };
}
