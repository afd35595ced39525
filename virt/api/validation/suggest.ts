// "did you mean …?" for unknown field names: the closest known name by edit distance, case-insensitive.
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length] ?? 0;
}

export function nearest(name: string, candidates: readonly string[]): string | undefined {
  // Distance is at least the difference in length: candidates beyond the threshold cannot win, and
  // skipping them keeps a megabyte-long key from costing the admission webhook a quadratic comparison.
  const threshold = Math.max(2, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    if (Math.abs(c.length - name.length) > threshold) continue;
    const d = editDistance(name, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  // Past a third of the name's length a suggestion is noise rather than help.
  return best !== undefined && bestD <= threshold ? best : undefined;
}
