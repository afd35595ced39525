import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetworkSetupError } from './errors.js';
import { parseResolvConf, readPodDns } from './pod-dns.js';

describe('parseResolvConf', () => {
  it('reads a kubelet-written resolv.conf', () => {
    const text = 'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n';
    expect(parseResolvConf(text)).toEqual({ nameservers: ['10.96.0.10'], searchDomains: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'] });
  });

  it('skips comments, IPv6 servers and repeats; the last search or domain line wins', () => {
    const text = '# generated\nnameserver 10.0.0.1 ; primary\nnameserver fd00::1\nnameserver 10.0.0.1\nnameserver 10.0.0.2\ndomain example.org\nsearch a.example b.example\n';
    expect(parseResolvConf(text)).toEqual({ nameservers: ['10.0.0.1', '10.0.0.2'], searchDomains: ['a.example', 'b.example'] });
  });

  it('is empty for an empty file', () => {
    expect(parseResolvConf('')).toEqual({ nameservers: [], searchDomains: [] });
  });
});

describe('readPodDns', () => {
  let proc: string;
  beforeEach(() => (proc = mkdtempSync(join(tmpdir(), 'vs-dns-'))));
  afterEach(() => rmSync(proc, { recursive: true, force: true }));

  it('reads the file in the process\'s root', () => {
    mkdirSync(join(proc, '42', 'root', 'etc'), { recursive: true });
    writeFileSync(join(proc, '42', 'root', 'etc', 'resolv.conf'), 'nameserver 10.96.0.10\nsearch ns1.svc.cluster.local\n');
    expect(readPodDns(42, proc)).toEqual({ nameservers: ['10.96.0.10'], searchDomains: ['ns1.svc.cluster.local'] });
  });

  it('names the file and says which process to pass when it is missing (the pause container has none)', () => {
    mkdirSync(join(proc, '43', 'root'), { recursive: true });
    expect(() => readPodDns(43, proc)).toThrow(NetworkSetupError);
    expect(() => readPodDns(43, proc)).toThrow(/43\/root\/etc\/resolv\.conf.*compute container/);
  });
});
