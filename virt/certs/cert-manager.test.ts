import { RESOURCES } from '../kube/resources.js';
import { captureLogger } from '../kube/testing/capture-logger.js';
import { MemoryApi } from '../kube/testing/memory-api.js';
import { API_SERVICES, CertManager, MUTATING_WEBHOOKS, splitBundle, VALIDATING_WEBHOOKS } from './cert-manager.js';
import { certificateFacts, matchesCa } from './pki.js';
import { API_CLIENT_SECRET, API_SERVING_SECRET, CA_SECRET, HANDLER_SECRET } from './stack-certificates.js';
import { tlsMaterialOf, type Secret } from './tls-secret.js';

const MIN = 60_000;
const NS = 'stack';

function world() {
  const api = new MemoryApi();
  api.seed(MUTATING_WEBHOOKS, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'm' }, webhooks: [{ name: 'a.kubevirt.io', clientConfig: { service: { name: 'virt-api', namespace: NS } } }] } as never);
  api.seed(VALIDATING_WEBHOOKS, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'v' }, webhooks: [{ name: 'b.kubevirt.io', clientConfig: {} }, { name: 'c.kubevirt.io', clientConfig: {} }] } as never);
  let t = Date.parse('2026-12-01T00:00:00Z');
  const clock = { now: () => new Date(t), advance: (ms: number) => (t += ms) };
  const { log, lines } = captureLogger();
  const mgr = new CertManager({
    api, namespace: NS, log, leafLifetimeMs: 30 * MIN, caLifetimeMs: 300 * MIN, now: clock.now, recheckMs: 30_000,
    targets: { mutatingWebhookConfigurations: ['m'], validatingWebhookConfigurations: ['v'], apiServices: ['v1.subresources.kubevirt.io'] },
  });
  const material = async (name: string) => tlsMaterialOf(await api.get<Secret>(RESOURCES.secrets, NS, name));
  return { api, clock, mgr, lines, material };
}

describe('CertManager', () => {
  it('issues the CA and the three leaves, signed by it with the contract names, and injects the bundle', async () => {
    const { api, mgr, material } = world();
    const wait = await mgr.reconcile();
    // The APIService is not installed yet: the manager comes back soon for it.
    expect(wait).toBe(5_000);
    const ca = await api.get<Secret>(RESOURCES.secrets, NS, CA_SECRET);
    const caCert = Buffer.from(ca.data?.['tls.crt'] ?? '', 'base64').toString();
    for (const name of [API_SERVING_SECRET, HANDLER_SECRET, API_CLIENT_SECRET]) {
      const m = await material(name);
      expect(m && matchesCa(m.cert, m.key, caCert)).toBe(true);
      expect(m?.ca).toBe(caCert);
    }
    expect(certificateFacts((await material(API_SERVING_SECRET))!.cert)?.dnsNames).toEqual(['virt-api.stack.svc', 'virt-api.stack.svc.cluster.local', 'virt-api.stack', 'virt-api']);
    expect(certificateFacts((await material(HANDLER_SECRET))!.cert)?.commonName).toBe('virt-handler');
    expect(certificateFacts((await material(API_CLIENT_SECRET))!.cert)?.commonName).toBe('virt-api');
    const want = Buffer.from(caCert).toString('base64');
    const m = await api.get<{ metadata: object; webhooks: { clientConfig: { caBundle?: string; service?: unknown } }[] }>(MUTATING_WEBHOOKS, undefined, 'm');
    expect(m.webhooks[0]?.clientConfig).toEqual({ service: { name: 'virt-api', namespace: NS }, caBundle: want });
    const v = await api.get<{ metadata: object; webhooks: { clientConfig: { caBundle?: string } }[] }>(VALIDATING_WEBHOOKS, undefined, 'v');
    expect(v.webhooks.map((w) => w.clientConfig.caBundle)).toEqual([want, want]);
    api.seed(API_SERVICES, { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1.subresources.kubevirt.io' }, spec: { group: 'subresources.kubevirt.io' } } as never);
    expect(await mgr.reconcile()).toBe(30_000);
    expect((await api.get<{ metadata: object; spec: { caBundle?: string; group: string } }>(API_SERVICES, undefined, 'v1.subresources.kubevirt.io')).spec).toEqual({ group: 'subresources.kubevirt.io', caBundle: want });
  });

  it('changes nothing while certificates are fresh, and re-issues a leaf after two thirds of its lifetime', async () => {
    const { api, clock, mgr, material } = world();
    await mgr.reconcile();
    const first = (await material(API_SERVING_SECRET))!.cert;
    const writes = () => api.calls.filter((c) => c.res === 'secrets' && (c.method === 'update' || c.method === 'create')).length;
    const before = writes();
    clock.advance(19 * MIN);
    await mgr.reconcile();
    expect(writes()).toBe(before);
    expect((await material(API_SERVING_SECRET))!.cert).toBe(first);
    clock.advance(2 * MIN);
    // Due at 20 of its 30 minutes: renewed now.
    await mgr.reconcile();
    const second = (await material(API_SERVING_SECRET))!.cert;
    expect(second).not.toBe(first);
    expect(certificateFacts(second)!.notAfter.getTime()).toBe(clock.now().getTime() + 30 * MIN);
  });

  it('rotates the CA keeping the old one in the bundle until it expires; leaves it signed stay valid', async () => {
    const { api, clock, mgr, material } = world();
    await mgr.reconcile();
    const caOf = async () => tlsMaterialOf(await api.get<Secret>(RESOURCES.secrets, NS, CA_SECRET));
    const oldCa = (await caOf())!.cert;
    clock.advance(210 * MIN);
    await mgr.reconcile();
    const rotated = (await caOf())!;
    expect(rotated.cert).not.toBe(oldCa);
    expect(splitBundle(rotated.ca)).toEqual([rotated.cert, oldCa]);
    expect((await material(HANDLER_SECRET))!.ca).toBe(rotated.ca);
    clock.advance(100 * MIN);
    await mgr.reconcile();
    // The old CA expired: only the new one is trusted, and every leaf is signed by it.
    const later = (await caOf())!;
    expect(splitBundle(later.ca)).toEqual([rotated.cert]);
    for (const name of [API_SERVING_SECRET, HANDLER_SECRET, API_CLIENT_SECRET]) {
      const m = (await material(name))!;
      expect(matchesCa(m.cert, m.key, rotated.cert)).toBe(true);
    }
  });

  it('replaces a leaf someone broke (not signed by the CA)', async () => {
    const { api, mgr, material, lines } = world();
    await mgr.reconcile();
    const s = await api.get<Secret>(RESOURCES.secrets, NS, HANDLER_SECRET);
    const other = await api.get<Secret>(RESOURCES.secrets, NS, CA_SECRET);
    await api.update(RESOURCES.secrets, { ...s, data: { ...s.data, 'tls.crt': other.data?.['tls.crt'] ?? '' } });
    await mgr.reconcile();
    const m = (await material(HANDLER_SECRET))!;
    expect(certificateFacts(m.cert)?.commonName).toBe('virt-handler');
    expect(lines.some((l) => l.msg === 'issued a certificate' && l.secret === HANDLER_SECRET && l.why === 'not signed by a trusted CA')).toBe(true);
  });

  it('re-issues at once when the configured lifetime was shortened', async () => {
    const { api, clock, mgr, material } = world();
    await mgr.reconcile();
    const first = (await material(API_SERVING_SECRET))!.cert;
    const { log, lines } = captureLogger();
    const shorter = new CertManager({ api, namespace: NS, log, leafLifetimeMs: 2 * MIN, caLifetimeMs: 300 * MIN, now: clock.now, targets: { mutatingWebhookConfigurations: [], validatingWebhookConfigurations: [], apiServices: [] } });
    expect(await shorter.reconcile()).toBeLessThanOrEqual(80_000);
    const second = (await material(API_SERVING_SECRET))!.cert;
    expect(second).not.toBe(first);
    expect(certificateFacts(second)!.notAfter.getTime()).toBe(clock.now().getTime() + 2 * MIN);
    expect(lines.filter((l) => l.why === 'lifetime shortened').map((l) => l.secret).sort()).toEqual([API_CLIENT_SECRET, API_SERVING_SECRET, HANDLER_SECRET].sort());
  });

  it('refuses a CA lifetime shorter than three leaf lifetimes', () => {
    const { log } = captureLogger();
    expect(() => new CertManager({ api: new MemoryApi(), namespace: NS, log, leafLifetimeMs: MIN, caLifetimeMs: 2 * MIN, targets: { mutatingWebhookConfigurations: [], validatingWebhookConfigurations: [], apiServices: [] } })).toThrow(/three leaf lifetimes/);
  });
});
