// Values of the DHCP options the launcher sends, encoded as RFC 2132 and RFC 3397 define them.
import { ipv4Bytes } from './ipv4.js';

export function addressList(addresses: readonly string[], field: string): Buffer {
  return Buffer.concat(addresses.map((a, i) => ipv4Bytes(a, `${field}[${i}]`)));
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export class DomainNameError extends Error {
  constructor(field: string, name: string, why: string) {
    super(`${field}: "${name}" ${why}; hint: use a DNS name such as default.svc.cluster.local`);
    this.name = 'DomainNameError';
  }
}

/**
 * Option 119, the domain search list: each name in DNS wire format (length-prefixed labels, a zero
 * byte at the end). RFC 3397 allows compression pointers; plain names are valid and simpler to check.
 */
export function domainSearch(names: readonly string[], field: string): Buffer {
  const parts: Buffer[] = [];
  for (const [i, raw] of names.entries()) {
    const name = raw.replace(/\.$/, '');
    const labels = name.split('.');
    if (!name || labels.some((l) => l.length === 0)) throw new DomainNameError(`${field}[${i}]`, raw, 'has an empty label');
    for (const l of labels) {
      const b = Buffer.from(l, 'ascii');
      if (b.length > 63) throw new DomainNameError(`${field}[${i}]`, raw, `has a label longer than 63 bytes ("${l}")`);
      parts.push(Buffer.from([b.length]), b);
    }
    parts.push(Buffer.from([0]));
  }
  return Buffer.concat(parts);
}
