import { decodeTypedParams, encodeTypedParams, TYPED_PARAM_SIZE, TypedParamType } from './typed-params.js';

describe('typed parameters', () => {
  it('lays out each parameter as libvirt expects and round-trips every type', () => {
    const strings = new Map<bigint, string>();
    let next = 0x1000n;
    const enc = encodeTypedParams(
      [
        { field: 'migrate_uri', type: TypedParamType.String, value: 'tcp://10.0.0.2:49152' },
        { field: 'bandwidth', type: TypedParamType.ULLong, value: 1024n },
        { field: 'auto_converge.initial', type: TypedParamType.Int, value: -3 },
        { field: 'x', type: TypedParamType.Boolean, value: true },
        { field: 'd', type: TypedParamType.Double, value: 0.5 },
      ],
      (b) => {
        const addr = next;
        next += 0x100n;
        strings.set(addr, b.toString('utf8', 0, b.length - 1));
        return addr;
      },
    );
    expect(enc.buffer.length).toBe(5 * TYPED_PARAM_SIZE);
    expect(enc.buffer.toString('utf8', 0, 11)).toBe('migrate_uri');
    expect(enc.buffer.readInt32LE(80)).toBe(7);
    expect(enc.keepAlive[0]!.toString()).toBe('tcp://10.0.0.2:49152\0');
    const back = decodeTypedParams(enc.buffer, enc.count, (p) => strings.get(p) ?? '?');
    expect(back).toEqual([
      { field: 'migrate_uri', type: 7, value: 'tcp://10.0.0.2:49152' },
      { field: 'bandwidth', type: 4, value: 1024 },
      { field: 'auto_converge.initial', type: 1, value: -3 },
      { field: 'x', type: 6, value: true },
      { field: 'd', type: 5, value: 0.5 },
    ]);
  });

  it('refuses a name that does not fit libvirt\'s 80-byte field', () => {
    expect(() => encodeTypedParams([{ field: 'a'.repeat(80), type: TypedParamType.Int, value: 1 }], () => 0n)).toThrow(/longer than 79/);
  });
});
