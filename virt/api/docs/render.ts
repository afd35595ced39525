// The API reference (virt/api/docs/reference.md), generated from the same declarations as the CRDs and the
// validator: every supported field with its type and description, and at each level the upstream fields
// virtstack rejects.
import { X_AT_MOST_ONE, X_EXACTLY_ONE, X_EXTENSION, X_QUANTITY, X_UPSTREAM, X_UPSTREAM_PROJECT } from '../schema/builders.js';
import type { SchemaNode } from '../schema/schema-node.js';
import { apiVersionOf, SERVED_KINDS } from '../kinds.js';

type Node = SchemaNode;

function typeOf(n: Node): string {
  if (n[X_QUANTITY]) return 'quantity';
  if (n['x-kubernetes-int-or-string']) return 'int-or-string';
  if (n.enum) return n.enum.map((e) => `\`${e}\``).join(' \\| ');
  if (n.type === 'array') return `list of ${n.items ? typeOf(n.items) : 'any'}`;
  if (n.type === 'object' && !n.properties && typeof n.additionalProperties === 'object') return `map of ${typeOf(n.additionalProperties)}`;
  if (n.type === 'object' && n['x-kubernetes-preserve-unknown-fields'] && !n.properties) return 'object (Kubernetes type, passed through)';
  if (n.type === 'integer' && (n.minimum !== undefined || n.maximum !== undefined)) return `integer${n.minimum !== undefined ? ` ≥ ${n.minimum}` : ''}${n.maximum !== undefined ? ` ≤ ${n.maximum}` : ''}`;
  return n.type ?? 'any';
}

function rows(n: Node, path: string, out: string[], unsupported: string[]): void {
  const node = n.type === 'array' && n.items ? n.items : n;
  const at = n.type === 'array' ? `${path}[]` : path;
  if (node[X_UPSTREAM]?.length) {
    const project = node[X_UPSTREAM_PROJECT] ?? 'KubeVirt';
    unsupported.push(`| \`${at}\` | ${node[X_UPSTREAM].map((f) => `\`${f}\``).join(', ')} | ${project} |`);
  }
  const rules: string[] = [];
  if (node[X_EXACTLY_ONE]) rules.push(`exactly one of ${node[X_EXACTLY_ONE].join(', ')}`);
  if (node[X_AT_MOST_ONE]) rules.push(`at most one of ${node[X_AT_MOST_ONE].join(', ')}`);
  if (rules.length) out.push(`| \`${at}\` | rule | ${rules.join('; ')} |`);
  for (const [k, child] of Object.entries(node.properties ?? {})) {
    const p = `${at}.${k}`;
    const req = node.required?.includes(k) ? ' **required**' : '';
    out.push(`| \`${p}\` | ${typeOf(child)}${req} | ${(child.description ?? '').replace(/\|/g, '\\|')} |`);
    rows(child, p, out, unsupported);
  }
}

/** Every field under `n` that upstream does not have (marked with `extension()`), by path. */
export function extensionPaths(n: Node, path: string, out: string[] = []): string[] {
  const node = n.type === 'array' && n.items ? n.items : n;
  const at = n.type === 'array' ? `${path}[]` : path;
  for (const [k, child] of Object.entries(node.properties ?? {})) {
    const p = `${at}.${k}`;
    if (child[X_EXTENSION]) out.push(p);
    extensionPaths(child, p, out);
  }
  return out;
}

export function renderReference(): string {
  const parts: string[] = [
    '<!-- Generated from virt/api by `npm run generate`. Do not edit: change the declarations in virt/api. -->',
    '# virtstack API reference',
    '',
    'The subset of upstream KubeVirt and CDI that virtstack serves. Field names, meanings and defaults follow upstream;',
    'a field listed under "Rejected" is refused by name (`virtctl validate`, admission), never silently dropped.',
    '',
  ];
  for (const k of SERVED_KINDS) {
    const root = k.schema as unknown as Node;
    const out: string[] = [];
    const unsupported: string[] = [];
    rows((root.properties ?? {}).spec ?? {}, 'spec', out, unsupported);
    parts.push(`## ${k.kind} (\`${apiVersionOf(k)}\`, short names ${k.shortNames.map((s) => `\`${s}\``).join(', ')})`, '', k.description, '');
    parts.push('| field | type | description |', '| --- | --- | --- |', ...out, '');
    if (unsupported.length) parts.push('Rejected (supported upstream, not by virtstack):', '', '| at | fields | upstream |', '| --- | --- | --- |', ...unsupported, '');
    // Clients written against upstream's types do not know these; spec and status alike.
    const props = root.properties ?? {};
    const ext = [...extensionPaths(props.spec ?? {}, 'spec'), ...extensionPaths(props.status ?? {}, 'status')];
    if (ext.length) parts.push('virtstack extensions (fields upstream does not have):', '', ...ext.map((p) => `- \`${p}\``), '');
  }
  return parts.join('\n');
}
