// A live view of one TLS Secret (tls.crt, tls.key, ca.crt): the api, the handlers and the api's client side
// read their certificates through this, so a rotation done by the api's leader reaches every server and
// client without a restart. The watch is narrowed to the one name (fieldSelector), which is what RBAC with
// resourceNames allows.
import type { KubeApi, KubeObject } from '../kube/api.js';
import { Informer } from '../kube/informer.js';
import { RESOURCES } from '../kube/resources.js';
import type { Logger } from '../logger/logger.js';
import { CA_CERT_KEY, TLS_CERT_KEY, TLS_KEY_KEY, type TlsMaterial } from './tls-material.js';

export type { TlsMaterial } from './tls-material.js';

export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

export interface TlsSecretWatch {
  /** The Secret's material as last seen; undefined until it exists with all three keys. */
  current(): TlsMaterial | undefined;
  /** Resolves once the Secret has all three keys; rejects when `signal` aborts or the watch stops. */
  ready(signal?: AbortSignal): Promise<TlsMaterial>;
  /** Called with each new material (not for the one current at subscription). Returns the unsubscribe. */
  onChange(cb: (m: TlsMaterial) => void): () => void;
  stop(): Promise<void>;
}

/** The material of a Secret, or undefined when one of the three keys is missing or empty. */
export function tlsMaterialOf(secret: Secret | undefined): TlsMaterial | undefined {
  const d = secret?.data;
  if (!d) return undefined;
  const decode = (k: string): string => (d[k] ? Buffer.from(d[k], 'base64').toString('utf8') : '');
  const m = { cert: decode(TLS_CERT_KEY), key: decode(TLS_KEY_KEY), ca: decode(CA_CERT_KEY) };
  return m.cert && m.key && m.ca ? m : undefined;
}

export class TlsSecretStoppedError extends Error {
  constructor(readonly secret: string) {
    super(`the watch of Secret ${secret} was stopped before the Secret had tls.crt, tls.key and ca.crt`);
    this.name = 'TlsSecretStoppedError';
  }
}

export function watchTlsSecret(api: KubeApi, namespace: string, name: string, log: Logger): TlsSecretWatch {
  const id = `${namespace}/${name}`;
  const informer = new Informer<Secret>(api, RESOURCES.secrets, { namespace, fieldSelector: `metadata.name=${name}`, log: log.child({ secret: id }) });
  let material: TlsMaterial | undefined;
  let stopped = false;
  const listeners = new Set<(m: TlsMaterial) => void>();
  const waiters = new Set<{ resolve: (m: TlsMaterial) => void; reject: (e: Error) => void }>();

  const seen = (s: Secret): void => {
    const m = tlsMaterialOf(s);
    if (!m) {
      if (material) log.warn('TLS Secret lost one of tls.crt, tls.key, ca.crt; keeping the last complete material', { secret: id });
      return;
    }
    if (material && material.cert === m.cert && material.key === m.key && material.ca === m.ca) return;
    material = m;
    for (const w of [...waiters]) w.resolve(m);
    waiters.clear();
    for (const cb of [...listeners]) {
      try {
        cb(m);
      } catch (e) {
        log.error('TLS Secret change listener threw', { secret: id, error: e });
      }
    }
  };
  // A deleted Secret keeps the last material: servers keep serving until the leader issues a new one.
  informer.addHandlers({ add: seen, update: (_old, s) => seen(s) });
  informer.start();

  return {
    current: () => material,
    ready(signal?: AbortSignal): Promise<TlsMaterial> {
      if (material) return Promise.resolve(material);
      if (stopped) return Promise.reject(new TlsSecretStoppedError(id));
      return new Promise<TlsMaterial>((resolve, reject) => {
        const onAbort = (): void => {
          waiters.delete(w);
          const r: unknown = signal?.reason;
          reject(r instanceof Error ? r : new Error(`waiting for Secret ${id} aborted`));
        };
        const w = {
          resolve: (m: TlsMaterial) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(m);
          },
          reject: (e: Error) => {
            signal?.removeEventListener('abort', onAbort);
            reject(e);
          },
        };
        if (signal?.aborted) {
          onAbort();
          return;
        }
        waiters.add(w);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    onChange(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    async stop() {
      stopped = true;
      listeners.clear();
      await informer.stop();
      for (const w of [...waiters]) w.reject(new TlsSecretStoppedError(id));
      waiters.clear();
    },
  };
}
