import { anyProperties, inputTypes, undocumentedInputs, type SchemaDoc } from './schema-facts.js';

const schema: SchemaDoc = {
  name: 'p',
  resources: {
    'p:index:Machine': {
      isComponent: true,
      inputProperties: {
        disks: { type: 'array', items: { $ref: '#/types/p:index:Disk' }, description: 'Disks.' },
        extra: { type: 'object', additionalProperties: { $ref: 'pulumi.json#/Any' }, description: 'Anything.' },
        size: { type: 'number' },
      },
      properties: { status: { $ref: '#/types/p:index:Status', description: 'Status.' } },
    },
  },
  types: {
    'p:index:Disk': { properties: { source: { $ref: '#/types/p:index:Source', description: 'Where from.' } } },
    'p:index:Source': { properties: { url: { type: 'string' }, raw: { $ref: 'pulumi.json#/Any', description: 'Raw.' } } },
    'p:index:Status': { properties: { phase: { type: 'string' } } },
  },
};

test('the input types are those the inputs reach, through lists, maps and nested types; not the outputs', () => {
  expect(inputTypes(schema)).toEqual(['p:index:Disk', 'p:index:Source']);
});

test('Any is found at any depth, named by type, property, list item and map value', () => {
  expect(anyProperties(schema)).toEqual(['Machine.extra{}', 'Source.raw']);
});

test('undocumented inputs are listed, undocumented outputs are not', () => {
  expect(undocumentedInputs(schema)).toEqual(['Machine.size', 'Source.url']);
});
