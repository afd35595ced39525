// Pulumi's own schema inference (the analyzer `pulumi package` uses for a TypeScript component package)
// reads the components and their generated argument interfaces: every component, its inputs and outputs,
// and the virt/api types as named object types — what other languages' SDKs are generated from. Slow (it
// type-checks the components with @pulumi/kubernetes' types), so it runs in this tier, not in unit.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../cluster/testing.js';

interface Prop { type?: string; $ref?: string; optional?: boolean; items?: Prop; additionalProperties?: Prop }
interface Analysis {
  components: Record<string, { inputs: Record<string, Prop>; outputs: Record<string, Prop> }>;
  typeDefinitions: Record<string, { properties?: Record<string, Prop> }>;
}

let result: Analysis;

beforeAll(() => {
  const require = createRequire(join(repoRoot, 'package.json'));
  const { Analyzer } = require('@pulumi/pulumi/provider/experimental/analyzer.js') as { Analyzer: new (dir: string, name: string, pkg: Record<string, unknown>, names: Set<string>) => { analyze(): Analysis } };
  const dir = mkdtempSync(join(tmpdir(), 'virtstack-schema-'));
  try {
    // Only the package's entry point and what it imports, not the whole repository.
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2024', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, types: ['node'], typeRoots: [join(repoRoot, 'node_modules', '@types')] },
      files: [join(repoRoot, 'components', 'index.ts')],
    }));
    result = new Analyzer(dir, 'virtstack', { main: join(repoRoot, 'components', 'index.ts') }, new Set(['KubeVirtInstall', 'VirtualMachine'])).analyze();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 300_000);

test('both components are inferred with their args and outputs', () => {
  expect(Object.keys(result.components).sort()).toEqual(['KubeVirtInstall', 'VirtualMachine']);
  const install = result.components.KubeVirtInstall!;
  expect(Object.keys(install.inputs).sort()).toEqual(['clusterChecks', 'emulation', 'imagePrefix', 'imagePullPolicy', 'imageRevision', 'imageTag', 'kubeconfig', 'kubeletRootDir', 'logLevel', 'namespace', 'replicas', 'timeoutSeconds']);
  expect(Object.keys(install.outputs).sort()).toEqual(['namespace', 'nodes', 'version']);
  const vm = result.components.VirtualMachine!;
  expect(vm.inputs.template).toEqual(expect.objectContaining({ $ref: '#/types/virtstack:index:VirtualMachineInstanceTemplateArgs' }));
  expect(vm.inputs.runStrategy).toEqual(expect.objectContaining({ type: 'string', optional: true }));
  expect(vm.inputs).not.toHaveProperty('running');
  expect(Object.keys(vm.outputs).sort()).toEqual(['ipAddress', 'name', 'namespace', 'nodeName', 'printableStatus', 'ready', 'vmiName']);
});

test('the virt/api types come through as named object types, lists and maps', () => {
  const disk = result.typeDefinitions.DiskArgs?.properties ?? {};
  expect(disk.name).toEqual(expect.objectContaining({ type: 'string' }));
  expect(disk.bootOrder).toEqual(expect.objectContaining({ type: 'number', optional: true }));
  const devices = result.typeDefinitions.DevicesArgs?.properties ?? {};
  expect(devices.disks).toEqual(expect.objectContaining({ type: 'array', items: expect.objectContaining({ $ref: '#/types/virtstack:index:DiskArgs' }) }));
  const spec = result.typeDefinitions.VirtualMachineInstanceSpecArgs?.properties ?? {};
  expect(spec.nodeSelector).toEqual(expect.objectContaining({ type: 'object', additionalProperties: expect.objectContaining({ type: 'string' }) }));
  expect(Object.keys(result.typeDefinitions).length).toBeGreaterThan(30);
});
