// Field paths as Kubernetes prints them: struct fields joined by dots, list indexes and map keys in
// brackets (field.Path's Index and Key): spec.volumes[0].name, metadata.labels[kubevirt.io/vm].
export type PathSegment = string | number;

/** A struct field or list index below `base`; a name that is empty or would misparse goes in brackets. */
export function joinPath(base: string, seg: PathSegment): string {
  if (typeof seg === 'number' || seg === '' || /[.[\]]/.test(seg)) return `${base}[${seg}]`;
  return base ? `${base}.${seg}` : seg;
}

/** An entry of a map (labels, nodeSelector, resource lists): always in brackets, as Kubernetes prints it. */
export function joinKey(base: string, key: string): string {
  return `${base}[${key}]`;
}

/** Splits a path back into its segments: a bracket holds a whole key (dots and slashes included) unless all digits. */
export function parsePath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  let i = 0;
  while (i < path.length) {
    const ch = path[i];
    if (ch === '.') {
      i++;
      continue;
    }
    if (ch === '[') {
      const close = closingBracket(path, i);
      const inner = path.slice(i + 1, close);
      out.push(/^\d+$/.test(inner) ? Number(inner) : inner);
      i = close + 1;
      continue;
    }
    let end = i;
    while (end < path.length && path[end] !== '.' && path[end] !== '[') end++;
    out.push(path.slice(i, end));
    i = end;
  }
  return out;
}

// A key inside brackets may itself contain "]"; the closing bracket is the one followed by the end of the
// path, a dot or another bracket.
function closingBracket(path: string, open: number): number {
  for (let j = open + 1; j < path.length; j++) {
    if (path[j] === ']' && (j + 1 === path.length || path[j + 1] === '.' || path[j + 1] === '[')) return j;
  }
  return path.length;
}
