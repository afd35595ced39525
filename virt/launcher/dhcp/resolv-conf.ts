// The pod's DNS configuration, as the kubelet wrote it into the container's /etc/resolv.conf: the
// nameservers and search domains the guest is offered when the handler gives none.
import { isIpv4 } from './ipv4.js';

export interface ResolvConf {
  /** IPv4 nameservers only: DHCPv4 cannot carry others. */
  nameservers: string[];
  search: string[];
}

export function parseResolvConf(text: string): ResolvConf {
  const nameservers: string[] = [];
  let search: string[] = [];
  let domain: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...values] = line.split(/\s+/);
    if (key === 'nameserver' && values[0] && isIpv4(values[0])) nameservers.push(values[0]);
    // The last search or domain line wins, as in the resolver.
    else if (key === 'search') {
      search = values;
      domain = undefined;
    } else if (key === 'domain' && values[0]) {
      domain = values[0];
      search = [];
    }
  }
  return { nameservers, search: domain ? [domain] : search };
}
