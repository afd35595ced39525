import { codegenSchema, SDK_NAMES, sdkTypeNames, type PackageSchema } from './sdk-settings.js';

const inferred: PackageSchema = {
  name: 'virtstack',
  version: '0.1.0',
  language: { nodejs: { respectSchemaVersion: true }, python: { respectSchemaVersion: true }, go: { respectSchemaVersion: true }, csharp: { respectSchemaVersion: true } },
  resources: { 'virtstack:index:VirtualMachine': { isComponent: true } },
};

test('the names are added beside what the analyzer wrote, which is kept', () => {
  const s = codegenSchema(inferred);
  expect(s.language?.nodejs).toEqual({ respectSchemaVersion: true, packageName: SDK_NAMES.nodejs });
  expect(s.language?.python).toEqual({ respectSchemaVersion: true, packageName: SDK_NAMES.python, pyproject: { enabled: true } });
  expect(s.language?.go).toEqual({ respectSchemaVersion: true, importBasePath: SDK_NAMES.goImportBasePath });
  expect(s.language?.csharp).toEqual({ respectSchemaVersion: true });
  expect(s.meta).toEqual({ supportPack: true });
  expect(s.resources).toEqual(inferred.resources);
});

test('the inferred schema is not changed', () => {
  const before = JSON.stringify(inferred);
  codegenSchema(inferred);
  expect(JSON.stringify(inferred)).toBe(before);
});

test('a schema without a language section still gets every name', () => {
  const s = codegenSchema({ name: 'virtstack' });
  expect(Object.keys(s.language ?? {}).sort()).toEqual(['go', 'nodejs', 'python']);
});

test('types lose the Args suffix of their TypeScript interface unless the shorter name is taken', () => {
  const schema: PackageSchema = {
    name: 'virtstack',
    resources: {
      'virtstack:index:VirtualMachine': { inputProperties: { disks: { type: 'array', items: { $ref: '#/types/virtstack:index:DiskArgs' } } } },
      'virtstack:index:DataVolume': {},
    },
    types: {
      'virtstack:index:DiskArgs': { properties: { source: { $ref: '#/types/virtstack:index:SourceArgs' } } },
      'virtstack:index:SourceArgs': { properties: {} },
      'virtstack:index:DataVolumeArgs': { properties: {} },
      'virtstack:index:Port': { properties: {} },
      'virtstack:index:PortArgs': { properties: {} },
      'virtstack:index:Args': { properties: {} },
      'virtstack:index:FleetMember': { properties: {} },
    },
  };
  expect([...sdkTypeNames(schema)]).toEqual([
    ['virtstack:index:DiskArgs', 'virtstack:index:Disk'],
    ['virtstack:index:SourceArgs', 'virtstack:index:Source'],
  ]);
  const s = codegenSchema(schema);
  expect(Object.keys(s.types ?? {}).sort()).toEqual(['virtstack:index:Args', 'virtstack:index:DataVolumeArgs', 'virtstack:index:Disk', 'virtstack:index:FleetMember', 'virtstack:index:Port', 'virtstack:index:PortArgs', 'virtstack:index:Source']);
  expect(s.types?.['virtstack:index:Disk']).toEqual({ properties: { source: { $ref: '#/types/virtstack:index:Source' } } });
  expect(s.resources?.['virtstack:index:VirtualMachine']).toEqual({ inputProperties: { disks: { type: 'array', items: { $ref: '#/types/virtstack:index:Disk' } } } });
});
