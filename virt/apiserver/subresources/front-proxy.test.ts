import { X509Certificate } from 'node:crypto';
import { issueCa, issueLeaf } from '../../certs/pki.js';
import { verifyClientChain } from './client-cert.js';
import { parseRequestHeaderConfig, RequestHeaderConfigError, userFromHeaders } from './front-proxy.js';
import { authConfigMap } from './testing/local-tls.js';

const HOUR = 3_600_000;
const ca = issueCa('front-proxy-ca', HOUR);
const cfg = parseRequestHeaderConfig(authConfigMap(ca.cert).data);

describe('the ConfigMap', () => {
  test('header names, allowed names and the CA as the kube-apiserver writes them', () => {
    expect(cfg).toMatchObject({ allowedNames: ['front-proxy-client'], usernameHeaders: ['X-Remote-User'], groupHeaders: ['X-Remote-Group'], extraHeaderPrefixes: ['X-Remote-Extra-'], uidHeaders: [] });
    expect(cfg.clientCas).toHaveLength(1);
  });

  test('a bundle of two CAs (a rotation) keeps both; an empty allowed-names list allows any CN', () => {
    const two = parseRequestHeaderConfig({ ...authConfigMap(ca.cert + issueCa('next', HOUR).cert).data, 'requestheader-allowed-names': '[]' });
    expect(two.clientCas).toHaveLength(2);
    expect(two.allowedNames).toEqual([]);
  });

  test('unusable settings are refused naming the key', () => {
    const base = authConfigMap(ca.cert).data;
    expect(() => parseRequestHeaderConfig({})).toThrow(RequestHeaderConfigError);
    expect(() => parseRequestHeaderConfig({})).toThrow(/requestheader-client-ca-file: missing/);
    expect(() => parseRequestHeaderConfig({ ...base, 'requestheader-allowed-names': 'front-proxy-client' })).toThrow(/requestheader-allowed-names: not a JSON list/);
    expect(() => parseRequestHeaderConfig({ ...base, 'requestheader-username-headers': '[]' })).toThrow(/requestheader-username-headers: missing/);
  });
});

describe('userFromHeaders', () => {
  test('first user header, every group line, extras with lower-cased, unescaped keys', () => {
    expect(
      userFromHeaders(cfg, { 'x-remote-user': ['bob'], 'x-remote-group': ['a', 'b'], 'x-remote-extra-scopes': ['1', '2'], 'x-remote-extra-example.org%2fkey': ['v'], 'x-other': ['no'] }),
    ).toEqual({ username: 'bob', groups: ['a', 'b'], extra: { scopes: ['1', '2'], 'example.org/key': ['v'] } });
  });

  test('no user, or an empty one: nobody', () => {
    expect(userFromHeaders(cfg, { 'x-remote-group': ['a'] })).toBeUndefined();
    expect(userFromHeaders(cfg, { 'x-remote-user': [''] })).toBeUndefined();
  });
});

describe('verifyClientChain', () => {
  const roots = [new X509Certificate(ca.cert)];
  const client = new X509Certificate(issueLeaf(ca, { commonName: 'front-proxy-client', usages: ['clientAuth'] }, HOUR).cert);

  test('a client certificate of the CA: its CN', () => expect(verifyClientChain([client], roots)).toBe('front-proxy-client'));

  test('refused: none, a server-only certificate, another CA, expired', () => {
    expect(() => verifyClientChain([], roots)).toThrow(/no client certificate/);
    const server = new X509Certificate(issueLeaf(ca, { commonName: 'front-proxy-client', usages: ['serverAuth'] }, HOUR).cert);
    expect(() => verifyClientChain([server], roots)).toThrow(/not for client authentication/);
    const other = issueCa('front-proxy-ca', HOUR);
    const foreign = new X509Certificate(issueLeaf(other, { commonName: 'front-proxy-client', usages: ['clientAuth'] }, HOUR).cert);
    expect(() => verifyClientChain([foreign], roots)).toThrow(/not signed by the request-header CA/);
    expect(() => verifyClientChain([client], roots, new Date(Date.now() + 2 * HOUR))).toThrow(/not valid now/);
  });
});
