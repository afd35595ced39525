import type { ErrorBody } from './messages.js';

/** A failure the launcher reported (or the transport produced), with its stable code and a hint. */
export class LauncherCallError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly libvirtCode: number | undefined;

  constructor(
    readonly method: string,
    body: ErrorBody,
    options?: { cause?: unknown },
  ) {
    super(`launcher ${method}: ${body.message}${body.hint ? `; hint: ${body.hint}` : ''} [${body.code}]`, options);
    this.name = 'LauncherCallError';
    this.code = body.code;
    this.hint = body.hint;
    this.libvirtCode = body.libvirtCode;
  }
}

/** Thrown by a launcher method implementation to answer with a specific code and hint. */
export class LauncherFault extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LauncherFault';
  }
}
