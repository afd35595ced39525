// What `virtctl validate` found, in one shape that both the text and the JSON output render.
import type { FieldErrorReason } from '../../api/validation/field-error.js';
import type { Outcome } from '../../api/validation/validate.js';
import type { UnreadablePath } from './manifest-inputs.js';

/** A document the YAML parser could not read is `malformed`; the validator never saw it. */
export type DocumentOutcome = Outcome | 'malformed';

export interface ReportedError {
  /** The validator's field path, or `(document)` for a YAML syntax error. */
  path: string;
  /** 1-based line in the file: the field's key, or its parent's when the field is missing. */
  line: number;
  column?: number;
  /** The validator's reason; MalformedYAML for a document the parser could not read, InternalError when the validator failed. */
  reason: FieldErrorReason | 'MalformedYAML' | 'InternalError';
  message: string;
  value?: unknown;
  allowed?: string;
  hint?: string;
}

export interface DocumentReport {
  file: string;
  /** 1-based line where the document's content starts. */
  line: number;
  /** 0-based position of the document in its file's YAML stream. */
  index: number;
  /** 0-based position in the document's `items` when the document is a List. */
  item?: number;
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  outcome: DocumentOutcome;
  errors: ReportedError[];
  note?: string;
}

export interface Summary {
  documents: number;
  accepted: number;
  rejected: number;
  /** Documents of kinds virtstack does not serve (ConfigMap, Service, …): passed, not checked. */
  ignored: number;
  malformed: number;
  /** Paths that could not be read at all. */
  unreadable: number;
}

export interface ValidationReport {
  documents: DocumentReport[];
  unreadable: UnreadablePath[];
  summary: Summary;
}

export function summarize(documents: readonly DocumentReport[], unreadable: readonly UnreadablePath[]): Summary {
  const count = (o: DocumentOutcome) => documents.filter((d) => d.outcome === o).length;
  return {
    documents: documents.length,
    accepted: count('accepted'),
    rejected: count('rejected'),
    ignored: count('ignored'),
    malformed: count('malformed'),
    unreadable: unreadable.length,
  };
}

/** e.g. "12 documents: 9 accepted, 2 rejected, 1 not checked (not a virtstack kind)". */
export function summaryLine(s: Summary): string {
  const parts = [`${s.accepted} accepted`, `${s.rejected} rejected`];
  if (s.ignored) parts.push(`${s.ignored} not checked (not a virtstack kind)`);
  if (s.malformed) parts.push(`${s.malformed} malformed (invalid YAML)`);
  const head = `${s.documents} document${s.documents === 1 ? '' : 's'}: ${parts.join(', ')}`;
  return s.unreadable ? `${head}; ${s.unreadable} path${s.unreadable === 1 ? '' : 's'} could not be read` : head;
}

/** Fails on anything a pipeline must not let through: a rejection, a document it could not parse, a path it could not read. */
export function passed(s: Summary): boolean {
  return s.rejected === 0 && s.malformed === 0 && s.unreadable === 0;
}
