// The Pulumi VirtualMachine component's argument types (components/generated/virtual-machine-spec-args.ts),
// generated from the same declarations as the CRDs and the validator. Pulumi's schema inference reads
// declared interfaces, not computed types such as Static<>, and allows no unions but `T | undefined`, so
// every object becomes a named interface, enums and quantities become strings (their values in the
// docs), and each property is a pulumi.Input. The types' documentation is the declarations' own, with the
// field's path in the manifest and an @default where the description states one.
import { X_OBJECT_META, X_QUANTITY } from '../schema/builders.js';
import type { SchemaNode } from '../schema/schema-node.js';
import { vmSpec } from '../kubevirt/vm.js';

/** Interface names where a field's own name would say too little. */
const NAMES: Record<string, string> = {
  '': 'VirtualMachineSpecArgs',
  template: 'VirtualMachineInstanceTemplateArgs',
  'template.spec': 'VirtualMachineInstanceSpecArgs',
  'template.spec.domain': 'DomainSpecArgs',
  'dataVolumeTemplates[]': 'DataVolumeTemplateArgs',
  'dataVolumeTemplates[].spec': 'DataVolumeSpecArgs',
  // upstream's DataVolumeSource; DataVolumeArgs is the DataVolume component's
  'template.spec.volumes[].dataVolume': 'DataVolumeSourceArgs',
};

/** Fields of the VM spec the component does not take: `running` is deprecated upstream; the component sets runStrategy only. */
const OMITTED = new Set(['running']);

export const GENERATED_ARGS_FILE = 'components/generated/virtual-machine-spec-args.ts';

const pascal = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
function singular(s: string): string {
  if (s.endsWith('ies')) return `${s.slice(0, -3)}y`;
  if (s.endsWith('sses')) return s.slice(0, -2);
  if (s.endsWith('s') && !s.endsWith('ss')) return s.slice(0, -1);
  return s;
}

const isInterface = (n: SchemaNode): boolean => n.type === 'object' && !n[X_OBJECT_META] && (n.properties !== undefined || (n.additionalProperties === undefined && !n['x-kubernetes-preserve-unknown-fields']));
const isEmpty = (n: SchemaNode): boolean => isInterface(n) && Object.keys(n.properties ?? {}).length === 0;

function docOf(n: SchemaNode, manifestPath: string): string[] {
  const lines: string[] = [];
  if (n.description) lines.push(n.description);
  if (n.enum) lines.push(`One of: ${n.enum.map((e) => `\`${String(e)}\``).join(', ')}.`);
  if (n[X_QUANTITY]) lines.push('A Kubernetes quantity, e.g. "128Mi", "2Gi", "500m".');
  lines.push(`Manifest field: \`${manifestPath}\`.`);
  const d = /Defaults to ([^.;(]+)/.exec(n.description ?? '');
  if (d?.[1]) lines.push(`@default ${d[1].trim()}`);
  return lines;
}

function comment(lines: string[], indent: string): string {
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l.replace(/\*\//g, '*\\/')}`).join('\n')}\n${indent} */\n`;
}

export function renderComponentArgs(): string {
  const named = new Map<SchemaNode, string>();
  const taken = new Set<string>();
  const bodies: string[] = [];
  let usesEmpty = false;
  let usesMeta = false;

  function nameFor(n: SchemaNode, key: string, parentName: string, argPath: string): string {
    const existing = named.get(n);
    if (existing) return existing;
    let name = NAMES[argPath] ?? `${pascal(key)}Args`;
    if (taken.has(name)) name = `${parentName.replace(/Args$/, '')}${pascal(key)}Args`;
    for (let i = 2; taken.has(name); i++) name = `${pascal(key)}${i}Args`;
    taken.add(name);
    named.set(n, name);
    return name;
  }

  function typeOf(n: SchemaNode, key: string, parentName: string, argPath: string, manifestPath: string): string {
    if (n[X_OBJECT_META]) {
      usesMeta = true;
      return 'EmbeddedObjectMetaArgs';
    }
    if (n[X_QUANTITY] || n['x-kubernetes-int-or-string']) return 'string';
    if (n.type === 'array' && n.items) return `pulumi.Input<${typeOf(n.items, singular(key), parentName, `${argPath}[]`, `${manifestPath}[]`)}>[]`;
    if (n.type === 'object' && typeof n.additionalProperties === 'object') return `{ [key: string]: pulumi.Input<${typeOf(n.additionalProperties, key, parentName, `${argPath}{}`, `${manifestPath}{}`)}> }`;
    if (isEmpty(n)) {
      usesEmpty = true;
      return 'PresenceArgs';
    }
    if (isInterface(n)) return emit(n, key, parentName, argPath, manifestPath);
    // A Kubernetes type passed through unchanged (affinity): Pulumi's schema has no narrower type for it.
    if (n.type === 'object') return '{ [key: string]: any }';
    if (n.type === 'integer' || n.type === 'number') return 'number';
    if (n.type === 'boolean') return 'boolean';
    return 'string';
  }

  function emit(n: SchemaNode, key: string, parentName: string, argPath: string, manifestPath: string): string {
    const seen = named.get(n);
    if (seen) return seen;
    const name = nameFor(n, key, parentName, argPath);
    const props: string[] = [];
    for (const [k, child] of Object.entries(n.properties ?? {})) {
      if (argPath === '' && OMITTED.has(k)) continue;
      const childArg = argPath ? `${argPath}.${k}` : k;
      const childManifest = `${manifestPath}.${k}`;
      const t = typeOf(child, k, name, childArg, childManifest);
      const req = n.required?.includes(k) ? '' : '?';
      props.push(`${comment(docOf(child, childManifest), '  ')}  ${k}${req}: pulumi.Input<${t}>;`);
    }
    const doc = [...(n.description ? [n.description] : []), `Manifest field: \`${manifestPath}\`.`];
    bodies.push(`${comment(doc, '')}export interface ${name} {\n${props.join('\n')}\n}\n`);
    return name;
  }

  emit(vmSpec as unknown as SchemaNode, '', '', '', 'spec');
  const extra: string[] = [];
  if (usesEmpty) {
    extra.push(`${comment(['An object whose presence is the setting (e.g. `masquerade: {}`); it has no fields.'], '')}// eslint-disable-next-line @typescript-eslint/no-empty-interface\nexport interface PresenceArgs {}\n`);
  }
  if (usesMeta) {
    extra.push(
      `${comment(['Metadata of an object the VM creates (its VMI, a DataVolume): name where one is needed, labels and annotations.'], '')}export interface EmbeddedObjectMetaArgs {\n` +
        `${comment(['Name of the object (required for a DataVolume template).'], '  ')}  name?: pulumi.Input<string>;\n` +
        `${comment(['Labels of the object.'], '  ')}  labels?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;\n` +
        `${comment(['Annotations of the object.'], '  ')}  annotations?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;\n}\n`,
    );
  }
  return [
    '// Generated from virt/api by `npm run generate` (virt/api/generate/component-args.ts). Do not edit: change the',
    '// declarations in virt/api and generate again; a unit test fails while this file is stale.',
    "import type * as pulumi from '@pulumi/pulumi';",
    '',
    ...bodies.reverse(),
    ...extra,
  ].join('\n');
}
