// The endpoint's failures as the api reads them (contract §3): JSON {code, reason, message}, with the HTTP
// status in `code`. A WebSocket request that fails before the upgrade gets the same answer as plain HTTP.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export type EndpointReason = 'NotFound' | 'Conflict' | 'Forbidden' | 'BadRequest' | 'MethodNotAllowed' | 'InternalError';

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 500: 'Internal Server Error' };

export class EndpointError extends Error {
  constructor(
    readonly code: number,
    readonly reason: EndpointReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EndpointError';
  }

  body(): { code: number; reason: EndpointReason; message: string } {
    return { code: this.code, reason: this.reason, message: this.message };
  }
}

export const notFound = (message: string): EndpointError => new EndpointError(404, 'NotFound', message);
export const conflict = (message: string, cause?: unknown): EndpointError => new EndpointError(409, 'Conflict', message, { cause });

export function asEndpointError(err: unknown): EndpointError {
  if (err instanceof EndpointError) return err;
  return new EndpointError(500, 'InternalError', err instanceof Error ? err.message : String(err), { cause: err });
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, err: EndpointError): void {
  sendJson(res, err.code, err.body());
}

/** Answers an upgrade request with the error as a plain HTTP response and closes the connection. */
export function refuseUpgrade(socket: Duplex, err: EndpointError): void {
  if (socket.destroyed) return;
  const text = JSON.stringify(err.body());
  socket.end(
    `HTTP/1.1 ${err.code} ${STATUS_TEXT[err.code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}
