// What the kube-apiserver's JSON decoder takes for an integer: a whole number that fits int64. A larger
// whole number (1e225) or a fraction decodes as a float, which an `integer` or int-or-string schema
// refuses; the validator must refuse the same, or a manifest it passes is refused by the cluster.
const INT64_LIMIT = 2 ** 63;

export function isJsonInt64(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= -INT64_LIMIT && v < INT64_LIMIT;
}
