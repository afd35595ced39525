import { codegenSchema, SDK_NAMES, type PackageSchema } from './sdk-settings.js';

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
  expect(s.resources).toBe(inferred.resources);
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
