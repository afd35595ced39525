// The pod's DNS configuration, as the kubelet wrote it into the pod's /etc/resolv.conf (cluster DNS server,
// `<ns>.svc.cluster.local` search list): what the launcher's DHCP server hands the guest, so a guest
// resolves Service names as the pod would.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetworkSetupError } from './errors.js';

export interface PodDns {
  nameservers: string[];
  searchDomains: string[];
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Parses resolv.conf: `nameserver` lines (IPv4 only: the guest's DHCP is IPv4), the last `search` or
 * `domain` line (as the resolver does, the later one wins). Comments start with `#` or `;`.
 */
export function parseResolvConf(text: string): PodDns {
  const nameservers: string[] = [];
  let searchDomains: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...values] = line.split(/\s+/);
    if (key === 'nameserver' && values[0] && IPV4.test(values[0]) && !nameservers.includes(values[0])) nameservers.push(values[0]);
    else if (key === 'search' || key === 'domain') searchDomains = values.filter(Boolean);
  }
  return { nameservers, searchDomains };
}

/**
 * Reads /etc/resolv.conf in the root of pod process `pid` (a process of an application container: the
 * sandbox's pause container has no resolv.conf).
 */
export function readPodDns(pid: number, procRoot = '/proc'): PodDns {
  const file = join(procRoot, String(pid), 'root', 'etc', 'resolv.conf');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new NetworkSetupError('resolv-conf', `cannot read ${file}`, 'pass a process of the compute container (its containerID from the pod status), not the sandbox\'s pause process', {}, { cause: err });
  }
  return parseResolvConf(text);
}
