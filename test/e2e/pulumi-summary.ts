// The "Resources:" block a `pulumi up`/`preview`/`destroy` ends with, as counts by operation
// ({ unchanged: 24 } or { created: 1, unchanged: 23 }), so a test can insist on exactly what happened.
export function resourceSummary(out: string): Record<string, number> {
  const blocks = [...out.matchAll(/^Resources:\n((?:[ \t]+.+\n?)+)/gm)];
  const last = blocks.at(-1)?.[1];
  if (!last) throw new Error(`no "Resources:" summary in the output:\n${out.slice(-3000)}`);
  const counts: Record<string, number> = {};
  for (const line of last.split('\n').map((l) => l.trim()).filter(Boolean)) {
    // After the changes listed above it: "2 changes. 42 unchanged".
    const total = /^\d+ changes?\. (\d+) unchanged$/.exec(line);
    if (total?.[1]) {
      counts.unchanged = (counts.unchanged ?? 0) + Number(total[1]);
      continue;
    }
    const m = /^(?:[+~\-=±]+\s*)?(\d+) (?:to )?(unchanged|created|create|updated|update|replaced|replace|deleted|delete|errored|imported|import|read)\b/.exec(line);
    if (!m?.[1] || !m[2]) throw new Error(`unexpected line in the resource summary: "${line}"`);
    const op = { create: 'created', update: 'updated', replace: 'replaced', delete: 'deleted', import: 'imported' }[m[2]] ?? m[2];
    counts[op] = (counts[op] ?? 0) + Number(m[1]);
  }
  return counts;
}
