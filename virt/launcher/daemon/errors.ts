// Failures of the launcher's private libvirt daemon, with what to check.
export class DaemonError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(`${message}; hint: ${hint}`, options);
    this.name = 'DaemonError';
  }
}
