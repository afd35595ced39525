// The api's leader keeps the stack's certificates current: a CA (Secret virtstack-ca), the leaf Secrets it
// signs (stack-certificates.ts), and the CA bundle in the webhook configurations and the APIService. It
// re-issues a leaf once two thirds of its lifetime have passed, so every server has swapped to the new
// one long before the old expires. A new CA is added to the bundle next to the old one, and the old stays
// trusted until its own expiry: leaves it signed keep working until they are re-issued.
import { isAlreadyExists, isConflict, isNotFound, type KubeApi, type KubeObject, type ResourceRef } from '../kube/api.js';
import { RESOURCES } from '../kube/resources.js';
import { sleep } from '../kube/sleep.js';
import type { Logger } from '../logger/logger.js';
import { BACKDATE_MS, certificateFacts, issueCa, issueLeaf, matchesCa, type CertificateFacts, type LeafSpec } from './pki.js';
import { CA_SECRET, leafSecrets } from './stack-certificates.js';
import { tlsMaterialOf, type Secret } from './tls-secret.js';
import { CA_CERT_KEY, TLS_CERT_KEY, TLS_KEY_KEY } from './tls-material.js';

export const MUTATING_WEBHOOKS: ResourceRef = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'mutatingwebhookconfigurations', kind: 'MutatingWebhookConfiguration', namespaced: false };
export const VALIDATING_WEBHOOKS: ResourceRef = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingwebhookconfigurations', kind: 'ValidatingWebhookConfiguration', namespaced: false };
export const API_SERVICES: ResourceRef = { group: 'apiregistration.k8s.io', version: 'v1', plural: 'apiservices', kind: 'APIService', namespaced: false };

export interface CaBundleTargets {
  mutatingWebhookConfigurations: readonly string[];
  validatingWebhookConfigurations: readonly string[];
  apiServices: readonly string[];
}

export interface CertManagerOptions {
  api: KubeApi;
  namespace: string;
  log: Logger;
  /** Lifetime of the leaf certificates. */
  leafLifetimeMs: number;
  /** Lifetime of the CA; at least three leaf lifetimes, so a CA outlives the leaves it signs. */
  caLifetimeMs: number;
  targets: CaBundleTargets;
  now?: () => Date;
  /** How often the bundle in the targets is checked even when nothing is due (a webhook added by a re-install has none). @default 5000 */
  recheckMs?: number;
}

/** Renewal once this share of a certificate's lifetime has passed. */
const RENEW_AT = 2 / 3;
const MISSING_TARGET_RETRY_MS = 5_000;
const ERROR_RETRY_MS = 5_000;
const FIELD_MANAGER = 'virt-api-certs';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;

export function splitBundle(pem: string): string[] {
  return (pem.match(PEM_BLOCK) ?? []).map((b) => (b.endsWith('\n') ? b : `${b}\n`));
}

/** Two thirds into the lifetime it was issued for (the backdating does not count). */
function renewAt(f: CertificateFacts): number {
  const issued = f.notBefore.getTime() + BACKDATE_MS;
  return issued + (f.notAfter.getTime() - issued) * RENEW_AT;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

interface WebhookConfiguration extends KubeObject {
  webhooks?: { name: string; clientConfig?: { caBundle?: string } }[];
}
interface ApiService extends KubeObject {
  spec?: { caBundle?: string };
}

export class CertManager {
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(private readonly opts: CertManagerOptions) {
    if (!(opts.leafLifetimeMs > 0)) throw new RangeError(`leaf certificate lifetime must be > 0, got ${opts.leafLifetimeMs} ms`);
    if (opts.caLifetimeMs < 3 * opts.leafLifetimeMs) throw new RangeError(`the CA lifetime (${opts.caLifetimeMs} ms) must be at least three leaf lifetimes (${3 * opts.leafLifetimeMs} ms)`);
    this.now = opts.now ?? (() => new Date());
    this.log = opts.log.child({ component: 'cert-manager' });
  }

  /** Until `signal` aborts: reconcile, then sleep until the next certificate is due (or the recheck). */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let wait: number;
      try {
        wait = await this.reconcile();
      } catch (e) {
        if (signal.aborted) return;
        this.log.warn('certificate reconcile failed, retrying', { error: e, retryInMs: ERROR_RETRY_MS });
        wait = ERROR_RETRY_MS;
      }
      await sleep(wait, signal);
    }
  }

  /** One pass; returns how long until the next pass is needed (ms). */
  async reconcile(): Promise<number> {
    const now = this.now().getTime();
    const ca = await this.ensureCa();
    let next = ca.nextAt;
    for (const leaf of leafSecrets(this.opts.namespace)) next = Math.min(next, await this.ensureLeaf(leaf.secret, leaf.spec, ca));
    const missing = await this.injectBundle(ca.bundle);
    const wake = Math.min(next - now, missing ? MISSING_TARGET_RETRY_MS : (this.opts.recheckMs ?? 5_000));
    return Math.max(100, wake);
  }

  private async getSecret(name: string): Promise<Secret | undefined> {
    try {
      return await this.opts.api.get<Secret>(RESOURCES.secrets, this.opts.namespace, name);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async writeSecret(existing: Secret | undefined, name: string, data: Record<string, string>): Promise<void> {
    const body: Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { ...(existing?.metadata ?? {}), name, namespace: this.opts.namespace, labels: { ...(existing?.metadata.labels ?? {}), 'app.kubernetes.io/part-of': 'virtstack', 'app.kubernetes.io/component': 'virt-api' } },
      type: 'kubernetes.io/tls',
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
    };
    try {
      if (existing) await this.opts.api.update(RESOURCES.secrets, body);
      else await this.opts.api.create(RESOURCES.secrets, body);
    } catch (e) {
      // Someone (a previous leader) wrote in between: the next pass reads what is there now.
      if (isConflict(e) || isAlreadyExists(e)) throw new Error(`Secret ${this.opts.namespace}/${name} changed while it was written; reading it again`, { cause: e });
      throw e;
    }
  }

  private async ensureCa(): Promise<{ cert: string; key: string; bundle: string; nextAt: number }> {
    const now = this.now();
    const secret = await this.getSecret(CA_SECRET);
    const d = secret?.data ?? {};
    const cert = d[TLS_CERT_KEY] ? Buffer.from(d[TLS_CERT_KEY], 'base64').toString() : '';
    const key = d[TLS_KEY_KEY] ? Buffer.from(d[TLS_KEY_KEY], 'base64').toString() : '';
    const facts = cert ? certificateFacts(cert) : undefined;
    const usable = facts && key && matchesCa(cert, key, cert);
    if (usable && now.getTime() < renewAt(facts)) {
      const bundle = this.bundleWith(cert, d[CA_CERT_KEY] ? Buffer.from(d[CA_CERT_KEY], 'base64').toString() : '', now);
      if (bundle !== (d[CA_CERT_KEY] ? Buffer.from(d[CA_CERT_KEY], 'base64').toString() : '')) {
        await this.writeSecret(secret, CA_SECRET, { [TLS_CERT_KEY]: cert, [TLS_KEY_KEY]: key, [CA_CERT_KEY]: bundle });
      }
      return { cert, key, bundle, nextAt: renewAt(facts) };
    }
    const fresh = issueCa('virtstack-ca', this.opts.caLifetimeMs, now);
    // The old CA stays trusted beside the new one until it expires: leaves it signed are still in use.
    const bundle = this.bundleWith(fresh.cert, usable ? `${cert}${d[CA_CERT_KEY] ? Buffer.from(d[CA_CERT_KEY], 'base64').toString() : ''}` : '', now);
    await this.writeSecret(secret, CA_SECRET, { [TLS_CERT_KEY]: fresh.cert, [TLS_KEY_KEY]: fresh.key, [CA_CERT_KEY]: bundle });
    this.log.info(usable ? 'rotated the CA' : 'issued the CA', { secret: CA_SECRET, notAfter: fresh.notAfter.toISOString() });
    const f = certificateFacts(fresh.cert);
    return { cert: fresh.cert, key: fresh.key, bundle, nextAt: f ? renewAt(f) : now.getTime() + this.opts.caLifetimeMs * RENEW_AT };
  }

  /** The current CA first, then earlier CAs that have not expired, each once. */
  private bundleWith(current: string, previous: string, now: Date): string {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const c of [current, ...splitBundle(previous)]) {
      const f = certificateFacts(c);
      if (!f || f.notAfter <= now || seen.has(f.sha256)) continue;
      seen.add(f.sha256);
      out.push(c.endsWith('\n') ? c : `${c}\n`);
    }
    return out.join('');
  }

  /** Issues the leaf when absent, wrong or due; keeps its ca.crt equal to the bundle. Returns when it is next due. */
  private async ensureLeaf(name: string, spec: LeafSpec, ca: { cert: string; key: string; bundle: string }): Promise<number> {
    const now = this.now();
    const secret = await this.getSecret(name);
    const m = tlsMaterialOf(secret);
    const facts = m ? certificateFacts(m.cert) : undefined;
    const trusted = m !== undefined && splitBundle(ca.bundle).some((c) => matchesCa(m.cert, m.key, c));
    const namesOk = facts !== undefined && facts.commonName === spec.commonName && [...(spec.dnsNames ?? [])].sort().join(',') === [...facts.dnsNames].sort().join(',');
    // A certificate that outlives the configured lifetime was issued under a longer one: a shortened
    // --cert-lifetime takes effect now, not when the old certificate comes due.
    const lifetimeOk = facts !== undefined && facts.notAfter.getTime() <= now.getTime() + this.opts.leafLifetimeMs + 1000;
    if (m && facts && trusted && namesOk && lifetimeOk && now.getTime() < renewAt(facts)) {
      if (m.ca !== ca.bundle) await this.writeSecret(secret, name, { [TLS_CERT_KEY]: m.cert, [TLS_KEY_KEY]: m.key, [CA_CERT_KEY]: ca.bundle });
      return renewAt(facts);
    }
    const leaf = issueLeaf(ca, spec, this.opts.leafLifetimeMs, now);
    await this.writeSecret(secret, name, { [TLS_CERT_KEY]: leaf.cert, [TLS_KEY_KEY]: leaf.key, [CA_CERT_KEY]: ca.bundle });
    const why = !m ? 'absent' : !trusted ? 'not signed by a trusted CA' : !namesOk ? 'names changed' : !lifetimeOk ? 'lifetime shortened' : 'due for renewal';
    this.log.info('issued a certificate', { secret: name, commonName: spec.commonName, why, notAfter: leaf.notAfter.toISOString() });
    const f = certificateFacts(leaf.cert);
    return f ? renewAt(f) : now.getTime() + this.opts.leafLifetimeMs * RENEW_AT;
  }

  /** Patches only caBundle where it differs; returns whether a target is missing (installed later). */
  private async injectBundle(bundle: string): Promise<boolean> {
    const want = b64(bundle);
    const { api, targets } = this.opts;
    let missing = false;
    const getOrNone = async <T extends KubeObject>(res: ResourceRef, name: string): Promise<T | undefined> => {
      try {
        return await api.get<T>(res, undefined, name);
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    };
    for (const [res, names] of [[MUTATING_WEBHOOKS, targets.mutatingWebhookConfigurations], [VALIDATING_WEBHOOKS, targets.validatingWebhookConfigurations]] as const) {
      for (const name of names) {
        const cfg = await getOrNone<WebhookConfiguration>(res, name);
        if (!cfg) {
          missing = true;
          continue;
        }
        const ops: unknown[] = [];
        (cfg.webhooks ?? []).forEach((w, i) => {
          if (w.clientConfig?.caBundle === want) return;
          // Only caBundle changes (the install keeps owning the rest); the test makes a reordered list a
          // failed patch, retried on the next pass, rather than a bundle on the wrong webhook.
          ops.push({ op: 'test', path: `/webhooks/${i}/name`, value: w.name }, { op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: want });
        });
        if (!ops.length) continue;
        await api.patch(res, undefined, name, ops, 'json', { fieldManager: FIELD_MANAGER });
        this.log.info('injected the CA bundle', { kind: res.kind, name, webhooks: ops.length / 2 });
      }
    }
    for (const name of targets.apiServices) {
      const svc = await getOrNone<ApiService>(API_SERVICES, name);
      if (!svc) {
        missing = true;
        continue;
      }
      if (svc.spec?.caBundle === want) continue;
      await api.patch(API_SERVICES, undefined, name, { spec: { caBundle: want } }, 'merge', { fieldManager: FIELD_MANAGER });
      this.log.info('injected the CA bundle', { kind: 'APIService', name });
    }
    return missing;
  }
}
