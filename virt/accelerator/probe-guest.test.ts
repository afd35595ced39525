import { builtinProbeImage } from './probe-guest.js';

describe('built-in KVM probe guest', () => {
  const img = builtinProbeImage();

  it('carries a valid multiboot header with load addresses', () => {
    const magic = img.readUInt32LE(0);
    const flags = img.readUInt32LE(4);
    expect(magic).toBe(0x1badb002);
    expect(flags & 0x10000).toBe(0x10000);
    expect((magic + flags + img.readUInt32LE(8)) >>> 0).toBe(0);
    expect(img.readUInt32LE(28)).toBe(0x100000 + 32);
  });

  it('points its far jump and GDT pointer inside the image', () => {
    const code = img.subarray(32);
    const lgdt = code.indexOf(Buffer.from([0x0f, 0x01, 0x15]));
    const gdtr = code.readUInt32LE(lgdt + 3) - 0x100000;
    expect(img.readUInt16LE(gdtr)).toBe(15);
    expect(img.readBigUInt64LE(img.readUInt32LE(gdtr + 2) - 0x100000 + 8)).toBe(0x00af9a000000ffffn);
    const jmp = code.indexOf(0xea, lgdt + 7);
    expect(img[code.readUInt32LE(jmp + 1) - 0x100000]).toBe(0x66);
  });
});
