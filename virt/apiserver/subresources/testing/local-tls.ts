// A local TLS world for the subresource API's tests: a front-proxy CA with its client, the api's serving
// certificate, the stack's CA with a handler and the api's client certificate, and rogue ones of each.
import { issueCa, issueLeaf, type IssuedCertificate, type KeyUsage } from '../../../certs/pki.js';

const HOUR = 3_600_000;

export interface LocalTls {
  frontProxyCa: IssuedCertificate;
  frontProxyClient: IssuedCertificate;
  /** Signed by the front-proxy CA, but with a CN the ConfigMap does not allow. */
  otherProxyClient: IssuedCertificate;
  /** Signed by an unrelated CA, with the allowed CN. */
  rogueProxyClient: IssuedCertificate;
  servingCa: IssuedCertificate;
  serving: IssuedCertificate;
  stackCa: IssuedCertificate;
  handler: IssuedCertificate;
  /** Signed by the stack's CA, but not the handlers' CN. */
  notHandler: IssuedCertificate;
  apiClient: IssuedCertificate;
}

const leaf = (ca: IssuedCertificate, commonName: string, usages: KeyUsage[], dnsNames?: string[]) => issueLeaf(ca, { commonName, usages, ...(dnsNames ? { dnsNames } : {}) }, HOUR);

export function localTls(): LocalTls {
  const frontProxyCa = issueCa('front-proxy-ca', HOUR);
  const rogueCa = issueCa('front-proxy-ca', HOUR);
  const servingCa = issueCa('serving-ca', HOUR);
  const stackCa = issueCa('virtstack-ca', HOUR);
  return {
    frontProxyCa,
    frontProxyClient: leaf(frontProxyCa, 'front-proxy-client', ['clientAuth']),
    otherProxyClient: leaf(frontProxyCa, 'someone-else', ['clientAuth']),
    rogueProxyClient: leaf(rogueCa, 'front-proxy-client', ['clientAuth']),
    servingCa,
    serving: leaf(servingCa, 'virt-api', ['serverAuth'], ['localhost']),
    stackCa,
    handler: leaf(stackCa, 'virt-handler', ['serverAuth', 'clientAuth'], ['localhost']),
    notHandler: leaf(stackCa, 'virt-controller', ['serverAuth', 'clientAuth'], ['localhost']),
    apiClient: leaf(stackCa, 'virt-api', ['clientAuth']),
  };
}

/** ConfigMap kube-system/extension-apiserver-authentication as the kube-apiserver writes it. */
export function authConfigMap(caPem: string, allowedNames: string[] = ['front-proxy-client']) {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'extension-apiserver-authentication', namespace: 'kube-system' },
    data: {
      'client-ca-file': caPem,
      'requestheader-client-ca-file': caPem,
      'requestheader-allowed-names': JSON.stringify(allowedNames),
      'requestheader-username-headers': '["X-Remote-User"]',
      'requestheader-group-headers': '["X-Remote-Group"]',
      'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
    },
  };
}
