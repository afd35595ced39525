// The kube-apiserver's (or the aggregated API's) refusal of a call, from the metav1.Status it answered:
// the HTTP code, the Status reason (NotFound, Forbidden, Conflict, …) and its message, which already names
// the object ("virtualmachines.kubevirt.io \"vm1\" not found", "… is forbidden: User … cannot …").
export class SubresourceError extends Error {
  constructor(
    /** HTTP status; 0 when no answer came. */
    readonly code: number,
    readonly reason: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'SubresourceError';
  }
}

interface Status {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
}

const REASONS: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 422: 'Invalid', 500: 'InternalError', 503: 'ServiceUnavailable' };

export function statusError(code: number, text: string): SubresourceError {
  let st: Status | undefined;
  try {
    const parsed = JSON.parse(text) as Status;
    if (parsed && typeof parsed === 'object') st = parsed;
  } catch {
    // Not a Status (a proxy's page): its first line is the best message there is.
  }
  const message = st?.message?.trim() || text.trim().split('\n')[0]?.slice(0, 300) || `HTTP ${code}`;
  return new SubresourceError(st?.code ?? code, st?.reason ?? REASONS[code], message.replace(/\s*\n\s*/g, ' '));
}
