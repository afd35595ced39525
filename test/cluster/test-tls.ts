// A private CA and a server certificate for the host's cluster address, made with openssl, for tests of
// https sources (certConfigMap) and a TLS registry.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST_IP } from './paths.js';

export interface TestTls {
  dir: string;
  caPem: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

export function makeTestTls(dir: string, host = HOST_IP): TestTls {
  const o = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  o('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=virtstack test CA');
  o('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${host}`);
  writeFileSync(join(dir, 'san.ext'), `subjectAltName=IP:${host}\nextendedKeyUsage=serverAuth\n`);
  o('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext');
  return { dir, caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'), caFile: join(dir, 'ca.crt'), certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') };
}
