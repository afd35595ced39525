import { KubeConfig } from '@kubernetes/client-node';
import { namespaceOf, subresourcePath } from './cluster.js';
import { statusError } from './subresource-error.js';

function kc(namespace?: string): KubeConfig {
  const k = new KubeConfig();
  k.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: false }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u', ...(namespace ? { namespace } : {}) }],
    currentContext: 'x',
  });
  return k;
}

describe('virtctl connection', () => {
  test('the namespace as kubectl picks it: flag, context, the pod\'s own, default', () => {
    expect(namespaceOf(kc('ctxns'), 'flagns', () => 'podns')).toBe('flagns');
    expect(namespaceOf(kc('ctxns'), undefined, () => 'podns')).toBe('ctxns');
    expect(namespaceOf(kc(), undefined, () => 'podns')).toBe('podns');
    expect(namespaceOf(kc(), undefined, () => undefined)).toBe('default');
  });

  test('subresource paths are upstream\'s, names escaped', () => {
    expect(subresourcePath('ns', 'virtualmachines', 'vm1', 'start')).toBe('/apis/subresources.kubevirt.io/v1/namespaces/ns/virtualmachines/vm1/start');
    expect(subresourcePath('ns', 'virtualmachineinstances', 'a/b', 'console')).toBe('/apis/subresources.kubevirt.io/v1/namespaces/ns/virtualmachineinstances/a%2Fb/console');
  });

  test('a Status becomes its code, reason and one-line message; other bodies their first line', () => {
    expect(statusError(404, JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound', message: 'vm "x" not found' }))).toMatchObject({ code: 404, reason: 'NotFound', message: 'vm "x" not found' });
    expect(statusError(503, '<html>\nservice unavailable\n</html>')).toMatchObject({ code: 503, reason: 'ServiceUnavailable', message: '<html>' });
    expect(statusError(500, JSON.stringify({ message: 'line one\n  line two' })).message).toBe('line one line two');
    expect(statusError(401, '').message).toBe('HTTP 401');
  });
});
