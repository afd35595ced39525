// Splits a validator field path back into the keys it names. virt/api's parsePath reads only numeric
// indexes; map keys such as metadata.annotations[hooks.kubevirt.io/hookSidecars] contain dots and slashes,
// so a bracket holds a whole key unless it is all digits.
export type FieldPathSegment = string | number;

export function splitFieldPath(path: string): FieldPathSegment[] {
  const out: FieldPathSegment[] = [];
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

// A key inside brackets may itself contain "]"; the bracket that closes it is the one followed by the end
// of the path, a dot or another bracket.
function closingBracket(path: string, open: number): number {
  for (let j = open + 1; j < path.length; j++) {
    if (path[j] === ']' && (j + 1 === path.length || path[j + 1] === '.' || path[j + 1] === '[')) return j;
  }
  return path.length;
}
