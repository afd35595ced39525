// Verifying a TLS client's certificate chain ourselves: the api's one HTTPS server asks every client for a
// certificate without rejecting any (webhook callers present none), so the front proxy's chain must be
// checked here, against the request-header CA that the kube-apiserver publishes, the way Go's
// x509.Verify with ExtKeyUsageClientAuth would.
import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, PeerCertificate } from 'node:tls';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_EKU = '2.5.29.37.0';
const MAX_DEPTH = 5;

/** Every certificate of a PEM bundle (a CA file may hold several while its CA rotates). */
export function parsePemBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

/** The chain a TLS peer presented, leaf first; empty when it presented none. */
export function presentedChain(peer: DetailedPeerCertificate | PeerCertificate | Record<string, never> | undefined): X509Certificate[] {
  const chain: X509Certificate[] = [];
  let c = peer as DetailedPeerCertificate | undefined;
  const seen = new Set<DetailedPeerCertificate>();
  while (c && c.raw && !seen.has(c) && chain.length < MAX_DEPTH + 1) {
    seen.add(c);
    chain.push(new X509Certificate(c.raw));
    c = c.issuerCertificate;
  }
  return chain;
}

export class ClientCertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientCertError';
  }
}

const signedBy = (child: X509Certificate, parent: X509Certificate): boolean => {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
};

const current = (c: X509Certificate, now: Date): boolean => new Date(c.validFrom) <= now && now <= new Date(c.validTo);

function subjectCn(c: X509Certificate): string {
  return /(?:^|\n)CN=([^\n]*)/.exec(c.subject)?.[1] ?? '';
}

/**
 * Checks that `chain[0]` is a client certificate that chains, through the presented intermediates, to one
 * of `roots`, every link valid now. Returns the leaf's common name. Throws ClientCertError saying why not.
 */
export function verifyClientChain(chain: readonly X509Certificate[], roots: readonly X509Certificate[], now: Date = new Date()): string {
  const leaf = chain[0];
  if (!leaf) throw new ClientCertError('no client certificate presented');
  const eku = leaf.keyUsage;
  if (eku && eku.length > 0 && !eku.includes(CLIENT_AUTH) && !eku.includes(ANY_EKU)) throw new ClientCertError(`client certificate "${subjectCn(leaf)}" is not for client authentication`);
  let cert = leaf;
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    if (!current(cert, now)) throw new ClientCertError(`certificate "${subjectCn(cert)}" is not valid now (valid ${cert.validFrom} to ${cert.validTo})`);
    const root = roots.find((r) => signedBy(cert, r));
    if (root) {
      if (!current(root, now)) throw new ClientCertError(`CA "${subjectCn(root)}" is not valid now`);
      return subjectCn(leaf);
    }
    const parent = chain.find((p) => p !== cert && p.ca && signedBy(cert, p));
    if (!parent) break;
    cert = parent;
  }
  throw new ClientCertError(`client certificate "${subjectCn(leaf)}" is not signed by the request-header CA`);
}
