// Certificates and keys for the cluster, made with openssl: one CA for everything, a front-proxy CA for
// aggregated API servers, and the service-account signing key. EC P-256 keys: generating them takes
// milliseconds, where RSA keys would cost seconds on every cold start.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';
import { HOST_IP, KUBERNETES_SERVICE_IP, NODES } from './paths.js';

export interface ClientCert {
  /** File stem under pki/: `<name>.crt`, `<name>.key`. */
  name: string;
  cn: string;
  org?: string;
}

export const CLIENTS: readonly ClientCert[] = [
  { name: 'admin', cn: 'virtstack-admin', org: 'system:masters' },
  { name: 'apiserver-kubelet-client', cn: 'kube-apiserver-kubelet-client', org: 'system:masters' },
  { name: 'controller-manager', cn: 'system:kube-controller-manager' },
  { name: 'scheduler', cn: 'system:kube-scheduler' },
  { name: 'kube-proxy', cn: 'system:kube-proxy' },
  ...NODES.map((n) => ({ name: n.name, cn: `system:node:${n.name}`, org: 'system:nodes' })),
];

function key(path: string): void {
  run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
}

function ca(dir: string, name: string, cn: string): void {
  key(join(dir, `${name}.key`));
  run('openssl', [
    'req', '-x509', '-new', '-key', join(dir, `${name}.key`), '-subj', `/CN=${cn}`, '-days', '3650', '-sha256',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    '-out', join(dir, `${name}.crt`),
  ]);
}

function leaf(dir: string, caName: string, name: string, subject: string, ext: string): void {
  key(join(dir, `${name}.key`));
  const csr = run('openssl', ['req', '-new', '-key', join(dir, `${name}.key`), '-subj', subject]).stdout;
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  run('openssl', [
    'x509', '-req', '-CA', join(dir, `${caName}.crt`), '-CAkey', join(dir, `${caName}.key`), '-CAcreateserial',
    '-days', '3650', '-sha256', '-extfile', extFile, '-out', join(dir, `${name}.crt`),
  ], { input: csr });
}

/** Writes every certificate the cluster needs into `dir`, unless they are already there. */
export function ensurePki(dir: string): void {
  if (existsSync(join(dir, 'complete'))) return;
  mkdirSync(dir, { recursive: true });
  ca(dir, 'ca', 'virtstack-cluster-ca');
  ca(dir, 'front-proxy-ca', 'virtstack-front-proxy-ca');
  const sans = [
    `IP:${HOST_IP}`, 'IP:127.0.0.1', `IP:${KUBERNETES_SERVICE_IP}`, 'DNS:localhost', 'DNS:kubernetes',
    'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local',
  ].join(',');
  leaf(dir, 'ca', 'apiserver', '/CN=kube-apiserver',
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans}\n`);
  for (const c of CLIENTS) {
    leaf(dir, 'ca', c.name, `/CN=${c.cn}${c.org ? `/O=${c.org}` : ''}`,
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  }
  leaf(dir, 'front-proxy-ca', 'front-proxy-client', '/CN=front-proxy-client',
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  key(join(dir, 'sa.key'));
  run('openssl', ['pkey', '-in', join(dir, 'sa.key'), '-pubout', '-out', join(dir, 'sa.pub')]);
  writeFileSync(join(dir, 'complete'), new Date().toISOString() + '\n');
}

/** A kubeconfig for one client certificate of `pki`. */
export function kubeconfig(pki: string, client: string, server: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: virtstack
  cluster:
    server: ${server}
    certificate-authority: ${join(pki, 'ca.crt')}
users:
- name: ${client}
  user:
    client-certificate: ${join(pki, `${client}.crt`)}
    client-key: ${join(pki, `${client}.key`)}
contexts:
- name: virtstack
  context:
    cluster: virtstack
    user: ${client}
current-context: virtstack
`;
}
