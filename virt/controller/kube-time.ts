// Timestamps as the API server stores a metav1.Time: RFC 3339 in UTC with whole seconds, so a value the
// controller writes reads back identical (and a status computed twice compares equal).
export function kubeTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
