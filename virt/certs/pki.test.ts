import { createServer, connect, type TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { certificateFacts, issueCa, issueLeaf, matchesCa } from './pki.js';

const HOUR = 3_600_000;

describe('pki', () => {
  const now = new Date('2026-12-01T00:00:00Z');
  const ca = issueCa('virtstack-ca', 24 * HOUR, now);

  it('issues a CA certificate that is a CA, valid from a little before now for its lifetime', () => {
    const c = new X509Certificate(ca.cert);
    expect(c.ca).toBe(true);
    expect(certificateFacts(ca.cert)).toMatchObject({ commonName: 'virtstack-ca', notAfter: new Date(now.getTime() + 24 * HOUR) });
    expect(ca.notBefore.getTime()).toBeLessThan(now.getTime());
  });

  it('issues a leaf signed by the CA with its names and usages, capped at the CA expiry', () => {
    const leaf = issueLeaf(ca, { commonName: 'virt-api', dnsNames: ['virt-api.ns.svc', 'virt-api'], usages: ['serverAuth'] }, 48 * HOUR, now);
    expect(matchesCa(leaf.cert, leaf.key, ca.cert)).toBe(true);
    const facts = certificateFacts(leaf.cert);
    expect(facts).toMatchObject({ commonName: 'virt-api', dnsNames: ['virt-api.ns.svc', 'virt-api'] });
    expect(facts?.notAfter).toEqual(ca.notAfter);
    expect(new X509Certificate(leaf.cert).ca).toBe(false);
    const other = issueCa('other', HOUR, now);
    expect(matchesCa(leaf.cert, leaf.key, other.cert)).toBe(false);
    expect(certificateFacts('not a certificate')).toBeUndefined();
  });

  it('gives certificates a real TLS handshake accepts: server name checked, client certificate verified', async () => {
    const fresh = issueCa('virtstack-ca', HOUR);
    const server = issueLeaf(fresh, { commonName: 'virt-api', dnsNames: ['virt-api.ns.svc'], usages: ['serverAuth'] }, HOUR);
    const client = issueLeaf(fresh, { commonName: 'virt-api-client', usages: ['clientAuth'] }, HOUR);
    const srv = createServer({ cert: server.cert, key: server.key, ca: fresh.cert, requestCert: true, rejectUnauthorized: true }, (s) => {
      s.end(`hello ${(s.getPeerCertificate() as { subject: { CN: string } }).subject.CN}`);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const sock: TLSSocket = connect({ host: '127.0.0.1', port, servername: 'virt-api.ns.svc', ca: fresh.cert, cert: client.cert, key: client.key }, () => {
          let data = '';
          sock.on('data', (d: Buffer) => (data += d.toString()));
          sock.on('end', () => resolve(data));
        });
        sock.on('error', reject);
      });
      expect(answer).toBe('hello virt-api-client');
    } finally {
      srv.close();
    }
  });
});
