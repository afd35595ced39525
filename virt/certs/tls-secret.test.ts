import { RESOURCES } from '../kube/resources.js';
import { captureLogger } from '../kube/testing/capture-logger.js';
import { MemoryApi } from '../kube/testing/memory-api.js';
import { pollUntil } from '../kube/testing/poll.js';
import { tlsMaterialOf, TlsSecretStoppedError, watchTlsSecret, type Secret } from './tls-secret.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const secret = (name: string, cert: string, key = 'KEY', ca = 'CA'): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'stack' },
  type: 'kubernetes.io/tls',
  data: { 'tls.crt': b64(cert), 'tls.key': b64(key), 'ca.crt': b64(ca) },
});

describe('tlsMaterialOf', () => {
  it('decodes the three keys and refuses a Secret missing one', () => {
    expect(tlsMaterialOf(secret('s', 'CERT'))).toEqual({ cert: 'CERT', key: 'KEY', ca: 'CA' });
    const partial = secret('s', 'CERT');
    delete partial.data?.['ca.crt'];
    expect(tlsMaterialOf(partial)).toBeUndefined();
    expect(tlsMaterialOf(undefined)).toBeUndefined();
  });
});

describe('watchTlsSecret', () => {
  it('resolves ready once the Secret is complete and reports each rotation, ignoring other Secrets', async () => {
    const api = new MemoryApi();
    const { log } = captureLogger();
    api.seed(RESOURCES.secrets, secret('other', 'NOT-MINE'));
    const w = watchTlsSecret(api, 'stack', 'mine', log);
    const changes: string[] = [];
    w.onChange((m) => changes.push(m.cert));
    const ready = w.ready();
    expect(w.current()).toBeUndefined();
    const created = await api.create(RESOURCES.secrets, { ...secret('mine', 'C1'), data: { 'tls.crt': b64('C1') } });
    await api.update(RESOURCES.secrets, { ...secret('mine', 'C1'), metadata: created.metadata });
    await expect(ready).resolves.toEqual({ cert: 'C1', key: 'KEY', ca: 'CA' });
    const cur = await api.get<Secret>(RESOURCES.secrets, 'stack', 'mine');
    await api.update(RESOURCES.secrets, { ...secret('mine', 'C2'), metadata: cur.metadata });
    await pollUntil(() => (w.current()?.cert === 'C2' ? true : undefined), 'the rotated cert');
    expect(changes).toEqual(['C1', 'C2']);
    // A deletion keeps the last material: servers go on serving until a new one is issued.
    await api.delete(RESOURCES.secrets, 'stack', 'mine');
    await api.create(RESOURCES.secrets, secret('other2', 'X'));
    expect(w.current()?.cert).toBe('C2');
    await w.stop();
  });

  it('rejects waiters when stopped or aborted', async () => {
    const api = new MemoryApi();
    const { log } = captureLogger();
    const w = watchTlsSecret(api, 'stack', 'absent', log);
    const ac = new AbortController();
    const aborted = w.ready(ac.signal);
    ac.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    const pending = w.ready();
    await w.stop();
    await expect(pending).rejects.toBeInstanceOf(TlsSecretStoppedError);
    await expect(w.ready()).rejects.toBeInstanceOf(TlsSecretStoppedError);
  });
});
