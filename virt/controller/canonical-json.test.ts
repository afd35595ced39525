import { canonicalJson } from './canonical-json.js';

test('key order and undefined members do not change the text; arrays keep their order', () => {
  expect(canonicalJson({ b: 1, a: { d: [2, 1], c: undefined, e: 'x' } })).toBe('{"a":{"d":[2,1],"e":"x"},"b":1}');
  expect(canonicalJson({ a: { e: 'x', d: [2, 1] }, b: 1 })).toBe(canonicalJson({ b: 1, a: { d: [2, 1], e: 'x' } }));
  expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  expect(canonicalJson(null)).toBe('null');
});
