import { withoutEmptyProperties } from './kube-object.js';

test('a CRD schema loses only its empty properties maps; everything else is kept', () => {
  const schema = {
    type: 'object',
    properties: {
      masquerade: { type: 'object', properties: {} },
      // a field named "properties" inside properties is a field, and a non-empty map stays
      spec: { type: 'object', properties: { properties: { type: 'string' }, ports: { type: 'array', items: { type: 'object', properties: {} } } } },
      free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
  };
  expect(withoutEmptyProperties(schema)).toEqual({
    type: 'object',
    properties: {
      masquerade: { type: 'object' },
      spec: { type: 'object', properties: { properties: { type: 'string' }, ports: { type: 'array', items: { type: 'object' } } } },
      free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
  });
  expect(schema.properties.masquerade.properties).toEqual({});
});
