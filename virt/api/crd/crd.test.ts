import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { SERVED_KINDS } from '../kinds.js';
import { crdFor } from './crd.js';
import { renderCrds } from './render.js';

const crdDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'crds');

type Node = Record<string, unknown>;
function walk(node: unknown, path: string, visit: (n: Node, path: string) => void): void {
  if (typeof node !== 'object' || node === null) return;
  const n = node as Node;
  visit(n, path);
  for (const [k, v] of Object.entries((n.properties as Node | undefined) ?? {})) walk(v, `${path}.${k}`, visit);
  if (n.items) walk(n.items, `${path}[]`, visit);
  if (typeof n.additionalProperties === 'object') walk(n.additionalProperties, `${path}{}`, visit);
}

describe('generated CRDs', () => {
  it('match the committed files (run `npm run generate` after changing virt/api)', () => {
    const want = renderCrds();
    const have = readdirSync(crdDir).filter((f) => f.endsWith('.yaml')).sort();
    expect(have).toEqual([...want.keys()].sort());
    for (const [name, text] of want) expect(readFileSync(join(crdDir, name), 'utf8')).toBe(text);
  });

  it.each(SERVED_KINDS.map((k) => [k.kind, k] as const))('%s: structural schema a CRD accepts, every field described', (_n, kind) => {
    const crd = crdFor(kind) as Node;
    const text = JSON.stringify(crd);
    expect(text).not.toContain('$ref');
    expect(text).not.toContain('patternProperties');
    expect(text).not.toContain('x-virtstack-');
    const schema = ((crd.spec as Node).versions as Node[])[0]!.schema as Node;
    const problems: string[] = [];
    walk(schema.openAPIV3Schema, kind.kind, (n, path) => {
      if (n.properties && n.additionalProperties !== undefined) problems.push(`${path}: properties and additionalProperties together`);
      const intOrString = n['x-kubernetes-int-or-string'] === true;
      if (!n.type && !intOrString) problems.push(`${path}: no type`);
      if (n.anyOf && !intOrString) problems.push(`${path}: anyOf without x-kubernetes-int-or-string`);
      if (!path.endsWith('.metadata') && !path.endsWith('[]') && !path.endsWith('{}') && path !== kind.kind && !n.description) problems.push(`${path}: no description`);
    });
    expect(problems).toEqual([]);
  });

  it('carries upstream names, short names, categories and printer columns', () => {
    const vm = crdFor(SERVED_KINDS.find((k) => k.kind === 'VirtualMachine')!) as Node;
    const spec = vm.spec as Node;
    expect(spec.names).toMatchObject({ plural: 'virtualmachines', shortNames: ['vm', 'vms'], categories: ['all', 'kubevirt'] });
    const version = (spec.versions as Node[])[0]!;
    expect(version.subresources).toEqual({ status: {} });
    expect((version.additionalPrinterColumns as Node[]).map((c) => c.name)).toEqual(['Age', 'Status', 'Ready']);
    const shorts = SERVED_KINDS.flatMap((k) => k.shortNames);
    expect(shorts.sort()).toEqual(['dv', 'dvs', 'vm', 'vmi', 'vmim', 'vmims', 'vmis', 'vmpool', 'vmpools', 'vms']);
    const pool = crdFor(SERVED_KINDS.find((k) => k.kind === 'VirtualMachinePool')!) as Node;
    expect(((pool.spec as Node).versions as Node[])[0]!.subresources).toMatchObject({ scale: { specReplicasPath: '.spec.replicas' } });
  });

  it('keeps unknown spec fields for the webhook to reject instead of pruning them silently', () => {
    const vmi = crdFor(SERVED_KINDS.find((k) => k.kind === 'VirtualMachineInstance')!) as Node;
    const root = (((vmi.spec as Node).versions as Node[])[0]!.schema as Node).openAPIV3Schema as Node;
    const spec = (root.properties as Node).spec as Node;
    const devices = ((spec.properties as Node).domain as Node).properties as Node;
    expect(spec['x-kubernetes-preserve-unknown-fields']).toBe(true);
    expect((devices.devices as Node)['x-kubernetes-preserve-unknown-fields']).toBe(true);
    expect(((root.properties as Node).status as Node)['x-kubernetes-preserve-unknown-fields']).toBeUndefined();
  });

  it('parses back as YAML with the generated header', () => {
    for (const text of renderCrds().values()) {
      expect(text.startsWith('# Generated from virt/api')).toBe(true);
      expect(parse(text)).toMatchObject({ kind: 'CustomResourceDefinition' });
    }
  });
});
