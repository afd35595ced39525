// A tiny XML tree for domain documents: configurators return nodes, the converter assembles and renders
// them with two-space indentation, so tests can compare exact text.
export interface XmlNode {
  name: string;
  attrs: Record<string, string | number | undefined>;
  children: (XmlNode | string)[];
}

export function el(name: string, attrs: XmlNode['attrs'] = {}, ...children: (XmlNode | string | undefined | false)[]): XmlNode {
  return { name, attrs, children: children.filter((c): c is XmlNode | string => c !== undefined && c !== false) };
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export function render(node: XmlNode, indent = ''): string {
  const attrs = Object.entries(node.attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}='${escapeXml(String(v))}'`)
    .join('');
  if (node.children.length === 0) return `${indent}<${node.name}${attrs}/>\n`;
  if (node.children.every((c) => typeof c === 'string')) return `${indent}<${node.name}${attrs}>${node.children.map((c) => escapeXml(c as string)).join('')}</${node.name}>\n`;
  const inner = node.children.map((c) => (typeof c === 'string' ? `${indent}  ${escapeXml(c)}\n` : render(c, indent + '  '))).join('');
  return `${indent}<${node.name}${attrs}>\n${inner}${indent}</${node.name}>\n`;
}

export function renderAll(nodes: readonly XmlNode[]): string {
  return nodes.map((n) => render(n)).join('');
}
