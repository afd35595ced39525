// The stack's certificates (contract §2): the CA Secret and the leaf Secrets it signs, with who each
// leaf is for. Names live here so the issuer, the servers and the RBAC rules cannot disagree.
import type { LeafSpec } from './pki.js';

export const CA_SECRET = 'virtstack-ca';
export const API_SERVING_SECRET = 'virt-api-certs';
export const HANDLER_SECRET = 'virt-handler-certs';
export const API_CLIENT_SECRET = 'virt-api-client-certs';
export const API_SERVICE_NAME = 'virt-api';

/** The CN a handler's client must show (the api, or another handler). */
export const API_CLIENT_CN = 'virt-api';
export const HANDLER_CN = 'virt-handler';

export interface LeafSecret {
  secret: string;
  spec: LeafSpec;
}

export function leafSecrets(namespace: string): LeafSecret[] {
  const svc = API_SERVICE_NAME;
  return [
    { secret: API_SERVING_SECRET, spec: { commonName: `${svc}.${namespace}.svc`, dnsNames: [`${svc}.${namespace}.svc`, `${svc}.${namespace}.svc.cluster.local`, `${svc}.${namespace}`, svc], usages: ['serverAuth'] } },
    { secret: HANDLER_SECRET, spec: { commonName: HANDLER_CN, usages: ['serverAuth', 'clientAuth'] } },
    { secret: API_CLIENT_SECRET, spec: { commonName: API_CLIENT_CN, usages: ['clientAuth'] } },
  ];
}

export const ALL_CERT_SECRETS: readonly string[] = [CA_SECRET, API_SERVING_SECRET, HANDLER_SECRET, API_CLIENT_SECRET];
