// Dotted-quad IPv4 addresses and prefixes as DHCP carries them: four bytes each.
export class Ipv4Error extends Error {
  constructor(
    readonly field: string,
    value: string,
  ) {
    super(`${field}: "${value}" is not an IPv4 address; hint: use dotted-quad notation, e.g. 10.0.2.2`);
    this.name = 'Ipv4Error';
  }
}

export function ipv4Bytes(address: string, field = 'address'): Buffer {
  const parts = address.split('.');
  const nums = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  if (nums.length !== 4 || nums.some((n) => !(n >= 0 && n <= 255))) throw new Ipv4Error(field, address);
  return Buffer.from(nums);
}

export function ipv4String(b: Buffer, offset = 0): string {
  return `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;
}

export function prefixMask(prefixLength: number): string {
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) throw new RangeError(`prefixLength: ${prefixLength} is not 0..32`);
  const m = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 0xff).join('.');
}

export function isIpv4(s: string): boolean {
  try {
    ipv4Bytes(s);
    return true;
  } catch {
    return false;
  }
}
