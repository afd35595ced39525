// metav1.Status, the error body every Kubernetes client understands: kubectl and virtctl print its message,
// client libraries map its reason. Every failure of the subresource API leaves as one of these.
import type { ServerResponse } from 'node:http';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'Conflict'
  | 'InternalError'
  | 'ServiceUnavailable';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** A request that ends in a metav1.Status; thrown by handlers, written by the router. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StatusError';
  }

  toStatus(): Status {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** What an error names: `virtualmachine` for kubevirt.io's VMs, as upstream's v1.Resource(...) spells it. */
export interface Qualified {
  resource: string;
  group: string;
}

const qualified = (q: Qualified): string => (q.group ? `${q.resource}.${q.group}` : q.resource);

export const VM: Qualified = { resource: 'virtualmachine', group: 'kubevirt.io' };
export const VMI: Qualified = { resource: 'virtualmachineinstance', group: 'kubevirt.io' };

// The constructors below word their messages as apimachinery's errors.NewXxx do, so a user sees the same
// line from this API as from upstream's.
export const badRequest = (message: string): StatusError => new StatusError(400, 'BadRequest', message);

export const unauthorized = (message: string): StatusError => new StatusError(401, 'Unauthorized', message);

export const notFound = (q: Qualified, name: string): StatusError =>
  new StatusError(404, 'NotFound', `${qualified(q)} "${name}" not found`, { name, group: q.group, kind: q.resource });

export const conflict = (q: Qualified, name: string, why: string): StatusError =>
  new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(q)} "${name}": ${why}`, { name, group: q.group, kind: q.resource });

export const internalError = (why: string, cause?: unknown): StatusError =>
  new StatusError(500, 'InternalError', `Internal error occurred: ${why}`, undefined, { cause });

export const methodNotAllowed = (method: string, path: string): StatusError =>
  new StatusError(405, 'MethodNotAllowed', `the server does not allow the method ${method} on ${path}`);

export const pathNotFound = (path: string): StatusError => new StatusError(404, 'NotFound', `the server could not find the requested resource (${path})`);

export function writeStatus(res: ServerResponse, err: StatusError): void {
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  const body = JSON.stringify(err.toStatus());
  res.writeHead(err.code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The same Status on a raw socket, for an upgrade refused before the WebSocket handshake. */
export function statusResponseBytes(err: StatusError): string {
  const body = JSON.stringify(err.toStatus());
  const text = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' }[err.code] ?? 'Error';
  return `HTTP/1.1 ${err.code} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}
