// Issuing the stack's certificates: one self-signed CA and leaf certificates it signs. Keys are RSA 2048
// from Node's native crypto (fast, constant-time); node-forge only encodes and signs the certificates,
// since Node can parse X.509 but not build it.
import { createPrivateKey, generateKeyPairSync, randomBytes, sign as cryptoSign, X509Certificate } from 'node:crypto';
import forge from 'node-forge';

export type KeyUsage = 'serverAuth' | 'clientAuth';

export interface KeyPairPem {
  cert: string;
  key: string;
}

export interface IssuedCertificate extends KeyPairPem {
  notBefore: Date;
  notAfter: Date;
}

export interface LeafSpec {
  commonName: string;
  /** subjectAltName DNS entries (a server certificate's host names). */
  dnsNames?: readonly string[];
  usages: readonly KeyUsage[];
}

/** Backdating absorbs clock skew between the issuing pod and the verifying one. */
export const BACKDATE_MS = 5 * 60_000;

/** forge writes CRLF; everything else (Secrets, bundles, comparisons) uses LF. */
const pem = (cert: forge.pki.Certificate): string => forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');

function newKeyPair(): { publicKey: forge.pki.PublicKey; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()), pem };
}

/**
 * Signs with Node's native RSA: forge's pure-JS signing takes about a second on a busy core. forge's sign()
 * lays out the TBSCertificate (with the signature algorithm) and hands a digest to key.sign(); the digest
 * is ignored and the laid-out TBS signed natively instead.
 */
function signNatively(cert: forge.pki.Certificate, keyPem: string): void {
  const placeholder = { sign: () => '' } as unknown as forge.pki.rsa.PrivateKey;
  cert.sign(placeholder, forge.md.sha256.create());
  const tbs = Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), 'binary');
  cert.signature = cryptoSign('sha256', tbs, createPrivateKey(keyPem)).toString('binary');
}

function serial(): string {
  // Positive 127-bit serial (leading bit cleared), as RFC 5280 asks.
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  return b.toString('hex');
}

function validity(cert: forge.pki.Certificate, now: Date, lifetimeMs: number): void {
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(now.getTime() + lifetimeMs);
}

export function issueCa(commonName: string, lifetimeMs: number, now: Date = new Date()): IssuedCertificate {
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert, now, lifetimeMs);
  const name = [{ name: 'commonName', value: commonName }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  signNatively(cert, keys.pem);
  return { cert: pem(cert), key: keys.pem, notBefore: cert.validity.notBefore, notAfter: cert.validity.notAfter };
}

/** A leaf signed by `ca`; its lifetime never reaches past the CA's own expiry. */
export function issueLeaf(ca: KeyPairPem, spec: LeafSpec, lifetimeMs: number, now: Date = new Date()): IssuedCertificate {
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert, now, lifetimeMs);
  if (cert.validity.notAfter > caCert.validity.notAfter) cert.validity.notAfter = caCert.validity.notAfter;
  cert.setSubject([{ name: 'commonName', value: spec.commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: spec.usages.includes('serverAuth'), clientAuth: spec.usages.includes('clientAuth') },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ];
  if (spec.dnsNames?.length) extensions.push({ name: 'subjectAltName', altNames: spec.dnsNames.map((value) => ({ type: 2, value })) });
  cert.setExtensions(extensions);
  signNatively(cert, ca.key);
  return { cert: pem(cert), key: keys.pem, notBefore: cert.validity.notBefore, notAfter: cert.validity.notAfter };
}

export interface CertificateFacts {
  commonName: string;
  dnsNames: string[];
  notBefore: Date;
  notAfter: Date;
  /** Fingerprint, to tell two issues apart. */
  sha256: string;
}

/** What a PEM certificate says (the first one of a bundle); undefined when it does not parse. */
export function certificateFacts(pem: string): CertificateFacts | undefined {
  try {
    const c = new X509Certificate(pem);
    const cn = /(?:^|\n)CN=([^\n]*)/.exec(c.subject)?.[1] ?? '';
    const dnsNames = (c.subjectAltName ?? '')
      .split(', ')
      .filter((s) => s.startsWith('DNS:'))
      .map((s) => s.slice(4));
    return { commonName: cn, dnsNames, notBefore: new Date(c.validFrom), notAfter: new Date(c.validTo), sha256: c.fingerprint256 };
  } catch {
    return undefined;
  }
}

/** Whether `cert` was signed by `ca` and `key` is its private key. */
export function matchesCa(cert: string, key: string, ca: string): boolean {
  try {
    const c = new X509Certificate(cert);
    const issuer = new X509Certificate(ca);
    return c.checkIssued(issuer) && c.verify(issuer.publicKey) && c.checkPrivateKey(createPrivateKey(key));
  } catch {
    return false;
  }
}

