// The checked-in schema snapshot (schema.json, what `npm run sdk` wrote from the plugin's inferred schema;
// test/e2e/pulumi-package.test.ts fails when it is stale): every component with its arguments, the
// virt/api types as named object types, a description on every argument, and no argument typed Any but
// the one pass-through below.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { anyProperties, inputTypes, undocumentedInputs, type SchemaDoc } from './testing/schema-facts.js';

const here = dirname(fileURLToPath(import.meta.url));
const schema = JSON.parse(readFileSync(join(here, 'schema.json'), 'utf8')) as SchemaDoc;
const resource = (name: string) => schema.resources[`virtstack:index:${name}`];
const type = (name: string) => schema.types[`virtstack:index:${name}`];

/**
 * Arguments that are Any on purpose, with why. Kubernetes' Affinity is handed to the launcher pod as the
 * user wrote it (virt/api/schema/k8s.ts declares it opaque); typing it means declaring Kubernetes'
 * NodeAffinity/PodAffinity types in virt/api.
 */
const PASS_THROUGH: Record<string, string> = {
  'VirtualMachineInstanceSpecArgs.affinity{}': 'Kubernetes Affinity, passed unchanged to the launcher pod',
};

test('the package is virtstack at the repository\'s version', () => {
  const root = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')) as { version: string };
  const plugin = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')) as { name: string; version: string };
  expect(schema.name).toBe('virtstack');
  expect(plugin.name).toBe('virtstack');
  expect(plugin.version).toBe(root.version);
  expect(schema.version).toBe(root.version);
});

test('every resource is a component with token virtstack:index:<Class>', () => {
  expect(Object.keys(schema.resources)).toEqual(expect.arrayContaining(['KubeVirtInstall', 'VirtualMachine', 'DataVolume', 'VirtualMachineFleet'].map((c) => `virtstack:index:${c}`)));
  for (const [token, r] of Object.entries(schema.resources)) {
    expect(token).toMatch(/^virtstack:index:[A-Z][A-Za-z]+$/);
    expect(r.isComponent).toBe(true);
  }
});

test('KubeVirtInstall and VirtualMachine come with their args and outputs', () => {
  const install = resource('KubeVirtInstall')!;
  expect(Object.keys(install.inputProperties ?? {}).sort()).toEqual(['clusterChecks', 'emulation', 'imagePrefix', 'imagePullPolicy', 'imageRevision', 'imageTag', 'kubeconfig', 'kubeletRootDir', 'logLevel', 'namespace', 'replicas', 'timeoutSeconds']);
  expect(install.requiredInputs ?? []).toEqual([]);
  expect(Object.keys(install.properties ?? {}).sort()).toEqual(['namespace', 'nodes', 'version']);
  const vm = resource('VirtualMachine')!;
  expect(vm.inputProperties?.template).toEqual(expect.objectContaining({ $ref: '#/types/virtstack:index:VirtualMachineInstanceTemplateArgs' }));
  expect(vm.requiredInputs).toEqual(['template']);
  expect(vm.inputProperties?.runStrategy).toEqual(expect.objectContaining({ type: 'string' }));
  expect(vm.inputProperties).not.toHaveProperty('running');
  expect(Object.keys(vm.properties ?? {}).sort()).toEqual(['ipAddress', 'name', 'namespace', 'nodeName', 'printableStatus', 'ready', 'vmiName']);
});

test('the virt/api types come through as named object types, lists and maps', () => {
  const disk = type('DiskArgs')?.properties ?? {};
  expect(disk.name).toEqual(expect.objectContaining({ type: 'string' }));
  expect(disk.bootOrder).toEqual(expect.objectContaining({ type: 'number' }));
  expect(type('DevicesArgs')?.properties?.disks).toEqual(expect.objectContaining({ type: 'array', items: { $ref: '#/types/virtstack:index:DiskArgs' } }));
  expect(type('VirtualMachineInstanceSpecArgs')?.properties?.nodeSelector).toEqual(expect.objectContaining({ type: 'object', additionalProperties: { type: 'string' } }));
  expect(inputTypes(schema).length).toBeGreaterThan(30);
});

test('no argument is typed Any except the pass-through ones', () => {
  expect(anyProperties(schema)).toEqual(Object.keys(PASS_THROUGH).sort());
});

test('every argument, and every field of the types the arguments use, has a description', () => {
  expect(undocumentedInputs(schema)).toEqual([]);
});
