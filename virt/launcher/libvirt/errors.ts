// libvirt failures as typed errors: libvirt's own error code, domain and message, the operation and the
// object it concerned, and a hint saying what to do. Codes are libvirt's virErrorNumber values.

export const VirErrorCode = {
  INTERNAL_ERROR: 1,
  NO_SUPPORT: 3,
  NO_CONNECT: 5,
  INVALID_ARG: 8,
  OPERATION_FAILED: 9,
  XML_ERROR: 27,
  DOM_EXIST: 28,
  SYSTEM_ERROR: 38,
  RPC: 39,
  NO_DOMAIN: 42,
  OPERATION_INVALID: 55,
  CONFIG_UNSUPPORTED: 67,
  OPERATION_TIMEOUT: 68,
  OPERATION_ABORTED: 78,
  MIGRATE_UNSAFE: 81,
  OPERATION_UNSUPPORTED: 84,
  AGENT_UNRESPONSIVE: 86,
} as const;

const HINTS: Record<number, string> = {
  [VirErrorCode.NO_CONNECT]: 'is the launcher\'s libvirt daemon running? Check its log in the launcher runtime directory',
  [VirErrorCode.SYSTEM_ERROR]: 'a system call failed in the daemon: check the daemon log and that the socket path exists',
  [VirErrorCode.RPC]: 'the connection to the daemon broke: the daemon may have exited',
  [VirErrorCode.NO_DOMAIN]: 'the domain does not exist (any more) on this daemon',
  [VirErrorCode.XML_ERROR]: 'the generated domain XML was rejected: this is a bug in the spec-to-domain conversion',
  [VirErrorCode.OPERATION_INVALID]: 'the domain is not in a state that allows this operation (e.g. not running)',
  [VirErrorCode.OPERATION_ABORTED]: 'the job was cancelled (migration cancel, or the domain went away)',
  [VirErrorCode.OPERATION_TIMEOUT]: 'the daemon timed out: it may be overloaded or stuck on QEMU',
  [VirErrorCode.CONFIG_UNSUPPORTED]: 'this QEMU or machine does not support a requested device or feature',
};

export interface LibvirtErrorDetails {
  /** virErrorNumber */
  code: number;
  /** virErrorDomain: which part of libvirt raised it */
  domain: number;
  message: string;
  /** The public API called, e.g. "virDomainCreate". */
  operation: string;
  /** Name of the domain (or URI of the connection) the call concerned. */
  object?: string;
}

export class LibvirtError extends Error {
  readonly code: number;
  readonly domain: number;
  readonly operation: string;
  readonly object: string | undefined;
  readonly libvirtMessage: string;
  readonly hint: string;

  constructor(details: LibvirtErrorDetails, options?: { cause?: unknown }) {
    const hint = HINTS[details.code] ?? 'see the libvirt message and the daemon log';
    super(`${details.operation}${details.object ? ` (${details.object})` : ''}: ${details.message} [libvirt code ${details.code}]; hint: ${hint}`, options);
    this.name = 'LibvirtError';
    this.code = details.code;
    this.domain = details.domain;
    this.operation = details.operation;
    this.object = details.object;
    this.libvirtMessage = details.message;
    this.hint = hint;
  }

  is(code: number): boolean {
    return this.code === code;
  }
}

export function isLibvirtError(err: unknown, code?: number): err is LibvirtError {
  return err instanceof LibvirtError && (code === undefined || err.code === code);
}
