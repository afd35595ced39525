// Typed validation errors: every problem names the full field path, the offending value, what is allowed
// and how to fix it, so offline validation, admission and the Pulumi components all speak alike.
export type FieldErrorReason =
  | 'UnknownField' // a name neither virtstack nor upstream knows (typo)
  | 'UnsupportedField' // upstream KubeVirt/CDI has it, virtstack does not
  | 'TypeMismatch'
  | 'Required'
  | 'NotSupportedValue' // outside an enum
  | 'Invalid' // malformed value (pattern, range, quantity)
  | 'Conflict' // fields that exclude each other
  | 'Duplicate'
  | 'NotFound'; // a reference to something that is not there

export interface FieldError {
  /** Full path in kubectl style, e.g. spec.template.spec.domain.devices.disks[0].disk.bus */
  path: string;
  reason: FieldErrorReason;
  /** What is wrong, without the path. */
  message: string;
  /** The offending value, when there is one. */
  value?: unknown;
  /** What is allowed here. */
  allowed?: string;
  /** How to fix it. */
  hint?: string;
}

export function formatFieldError(e: FieldError): string {
  return `${e.path}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`;
}

/** Thrown where a caller wants an exception rather than a list (components, admission). */
export class ValidationError extends Error {
  readonly errors: readonly FieldError[];
  constructor(what: string, errors: readonly FieldError[]) {
    super(`${what} is invalid:\n${errors.map((e) => `  ${formatFieldError(e)}`).join('\n')}`);
    this.name = 'ValidationError';
    this.errors = errors;
  }
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `"${v.length > 60 ? `${v.slice(0, 57)}...` : v}"`;
  return String(v);
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}
