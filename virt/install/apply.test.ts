import { RESOURCES } from '../kube/resources.js';
import { MemoryApi } from '../kube/testing/memory-api.js';
import { MUTATING_WEBHOOKS, VALIDATING_WEBHOOKS } from '../certs/cert-manager.js';
import { ALL_CERT_SECRETS } from '../certs/stack-certificates.js';
import { resourceOf, uninstall } from './apply.js';
import { installManifests } from './manifests.js';

describe('uninstall', () => {
  it('deletes the webhook and API registrations before anything else, and the certificate Secrets and Lease the api made', async () => {
    const api = new MemoryApi();
    for (const obj of installManifests()) api.seed(resourceOf(obj), obj);
    for (const name of ALL_CERT_SECRETS) api.seed(RESOURCES.secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'virtstack' } });
    api.seed(RESOURCES.leases, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'virt-api', namespace: 'virtstack' } });
    api.calls.length = 0;
    const said: string[] = [];
    await uninstall(api, {}, (l) => said.push(l), 5_000);
    const deletes = api.calls.filter((c) => c.method === 'delete');
    const registrations = new Set([MUTATING_WEBHOOKS.plural, VALIDATING_WEBHOOKS.plural, 'apiservices']);
    const firstOther = deletes.findIndex((c) => !registrations.has(c.res));
    const lastRegistration = deletes.map((c) => registrations.has(c.res)).lastIndexOf(true);
    expect(lastRegistration).toBeGreaterThanOrEqual(1);
    expect(lastRegistration).toBeLessThan(firstOther);
    expect(api.all(MUTATING_WEBHOOKS)).toEqual([]);
    expect(api.all(VALIDATING_WEBHOOKS)).toEqual([]);
    expect(api.all(RESOURCES.secrets)).toEqual([]);
    expect(api.all(RESOURCES.leases)).toEqual([]);
    expect(said[0]).toMatch(/^deleted \d+ webhook and API registrations$/);
  });
});
