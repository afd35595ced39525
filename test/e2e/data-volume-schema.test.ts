// Pulumi's own schema inference (the analyzer `pulumi package` uses for a TypeScript component package)
// reads the DataVolume component: its inputs typed from the generated DataVolumeSpecArgs (so other languages'
// SDKs get typed DataVolume args), its own options and outputs. Slow (it type-checks the components), so it
// runs in this tier, not in unit.
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
  const dir = mkdtempSync(join(tmpdir(), 'virtstack-dv-schema-'));
  try {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2024', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, types: ['node'], typeRoots: [join(repoRoot, 'node_modules', '@types')] },
      files: [join(repoRoot, 'components', 'index.ts')],
    }));
    result = new Analyzer(dir, 'virtstack', { main: join(repoRoot, 'components', 'index.ts') }, new Set(['DataVolume', 'VirtualMachine'])).analyze();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 300_000);

test('the DataVolume component is inferred with typed spec args, its options and its outputs', () => {
  const dv = result.components.DataVolume!;
  expect(Object.keys(dv.inputs).sort()).toEqual(['annotations', 'bindImmediately', 'contentType', 'kubeconfig', 'labels', 'name', 'namespace', 'preallocation', 'pvc', 'source', 'storage', 'timeoutSeconds']);
  expect(dv.inputs.source).toEqual(expect.objectContaining({ $ref: '#/types/virtstack:index:SourceArgs', optional: true }));
  expect(dv.inputs.storage).toEqual(expect.objectContaining({ $ref: '#/types/virtstack:index:StorageArgs' }));
  expect(dv.inputs.timeoutSeconds).toEqual(expect.objectContaining({ type: 'number', optional: true }));
  expect(dv.inputs.bindImmediately).toEqual(expect.objectContaining({ type: 'boolean', optional: true }));
  expect(Object.keys(dv.outputs).sort()).toEqual(['claimName', 'name', 'namespace', 'phase', 'progress', 'restartCount']);
});

test('its source types are the virt/api declarations, shared with the VM\'s dataVolumeTemplates', () => {
  const source = result.typeDefinitions.SourceArgs?.properties ?? {};
  expect(Object.keys(source).sort()).toEqual(['blank', 'http', 'pvc', 'registry', 'upload']);
  const http = result.typeDefinitions[(source.http?.$ref ?? '').split(':').pop() ?? '']?.properties ?? {};
  expect(http.url).toEqual(expect.objectContaining({ type: 'string' }));
  expect(http.extraHeaders).toEqual(expect.objectContaining({ type: 'array', items: expect.objectContaining({ type: 'string' }) }));
  expect(result.typeDefinitions.DataVolumeTemplateArgs?.properties?.spec).toEqual(expect.objectContaining({ $ref: '#/types/virtstack:index:DataVolumeSpecArgs' }));
  // The VM volume's reference to a DataVolume is its own type, not the component's args.
  expect(result.typeDefinitions.DataVolumeSourceArgs?.properties?.name).toEqual(expect.objectContaining({ type: 'string' }));
});
