// virTypedParameter arrays, laid out by hand: struct { char field[80]; int type; union value (8 bytes) }
// = 96 bytes on x86_64/aarch64 LP64. Encoding needs C strings that outlive the call, so the caller gets
// the backing buffers and keeps them referenced until libvirt returns.

export const TYPED_PARAM_SIZE = 96;
const FIELD_LEN = 80;
const TYPE_OFFSET = 80;
const VALUE_OFFSET = 88;

export const TypedParamType = { Int: 1, UInt: 2, LLong: 3, ULLong: 4, Double: 5, Boolean: 6, String: 7 } as const;
export type TypedParamType = (typeof TypedParamType)[keyof typeof TypedParamType];

export type TypedParamValue = number | bigint | boolean | string;
export interface TypedParam {
  field: string;
  type: TypedParamType;
  value: TypedParamValue;
}

export interface EncodedParams {
  buffer: Buffer;
  count: number;
  /** C strings the array points into; keep referenced until the call returns. */
  keepAlive: Buffer[];
}

export function encodeTypedParams(params: readonly TypedParam[], addressOf: (b: Buffer) => bigint): EncodedParams {
  const buffer = Buffer.alloc(TYPED_PARAM_SIZE * params.length);
  const keepAlive: Buffer[] = [];
  params.forEach((p, i) => {
    const base = i * TYPED_PARAM_SIZE;
    const field = Buffer.from(p.field, 'utf8');
    if (field.length >= FIELD_LEN) throw new RangeError(`typed parameter name "${p.field}" is longer than ${FIELD_LEN - 1} bytes`);
    field.copy(buffer, base);
    buffer.writeInt32LE(p.type, base + TYPE_OFFSET);
    const at = base + VALUE_OFFSET;
    switch (p.type) {
      case TypedParamType.Int: buffer.writeInt32LE(Number(p.value), at); break;
      case TypedParamType.UInt: buffer.writeUInt32LE(Number(p.value), at); break;
      case TypedParamType.LLong: buffer.writeBigInt64LE(BigInt(p.value), at); break;
      case TypedParamType.ULLong: buffer.writeBigUInt64LE(BigInt(p.value), at); break;
      case TypedParamType.Double: buffer.writeDoubleLE(Number(p.value), at); break;
      case TypedParamType.Boolean: buffer.writeInt8(p.value ? 1 : 0, at); break;
      case TypedParamType.String: {
        if (typeof p.value !== 'string') throw new TypeError(`typed parameter ${p.field} must be a string`);
        const s = Buffer.from(p.value + '\0', 'utf8');
        keepAlive.push(s);
        buffer.writeBigUInt64LE(addressOf(s), at);
        break;
      }
    }
  });
  return { buffer, count: params.length, keepAlive };
}

export function decodeTypedParams(raw: Buffer, count: number, readString: (ptr: bigint) => string): TypedParam[] {
  const out: TypedParam[] = [];
  for (let i = 0; i < count; i++) {
    const base = i * TYPED_PARAM_SIZE;
    const nul = raw.indexOf(0, base);
    const field = raw.toString('utf8', base, nul >= 0 && nul < base + FIELD_LEN ? nul : base + FIELD_LEN);
    const type = raw.readInt32LE(base + TYPE_OFFSET) as TypedParamType;
    const at = base + VALUE_OFFSET;
    let value: TypedParamValue;
    switch (type) {
      case TypedParamType.Int: value = raw.readInt32LE(at); break;
      case TypedParamType.UInt: value = raw.readUInt32LE(at); break;
      case TypedParamType.LLong: value = toNumber(raw.readBigInt64LE(at)); break;
      case TypedParamType.ULLong: value = toNumber(raw.readBigUInt64LE(at)); break;
      case TypedParamType.Double: value = raw.readDoubleLE(at); break;
      case TypedParamType.Boolean: value = raw.readInt8(at) !== 0; break;
      case TypedParamType.String: {
        const ptr = raw.readBigUInt64LE(at);
        value = ptr === 0n ? '' : readString(ptr);
        break;
      }
      default: continue;
    }
    out.push({ field, type, value });
  }
  return out;
}

function toNumber(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
}
