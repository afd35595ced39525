// Runs the one validator virt/api offers over every document of every input and places each error on
// its source line.
import { validateDocument, type DocumentResult } from '../../api/validation/validate.js';
import { listItems } from './list-items.js';
import type { ResolvedInputs } from './manifest-inputs.js';
import { summarize, type DocumentReport, type ValidationReport } from './report.js';
import { parseYamlDocuments } from './yaml-documents.js';

type Validate = (doc: unknown) => DocumentResult;

/**
 * `validate` is the validator (a parameter so tests can make it fail). It promises never to throw; if it
 * breaks that promise on one document, the run still reports every other document, and this one fails.
 */
export function validateInputs({ inputs, unreadable }: ResolvedInputs, validate: Validate = validateDocument): ValidationReport {
  const documents: DocumentReport[] = [];
  for (const { file, text } of inputs) {
    for (const doc of parseYamlDocuments(text)) {
      if (doc.kind === 'malformed') {
        documents.push({
          file, line: doc.startLine, index: doc.index, outcome: 'malformed',
          errors: [{ path: '(document)', line: doc.line, column: doc.column, reason: 'MalformedYAML', message: doc.message, hint: 'fix the YAML syntax; nothing in this document was checked' }],
        });
        continue;
      }
      const items = listItems(doc.value);
      if (!items) {
        documents.push(check(validate, doc.value, { file, index: doc.index }, doc.lineOf, ''));
        continue;
      }
      items.forEach((item, i) => documents.push(check(validate, item, { file, index: doc.index, item: i }, doc.lineOf, `items[${i}]`)));
    }
  }
  return { documents, unreadable, summary: summarize(documents, unreadable) };
}

/** Validates one object; `prefix` is where it sits in its YAML document (`items[3]` inside a List). */
function check(validate: Validate, value: unknown, at: { file: string; index: number; item?: number }, lineOf: (path: string) => number, prefix: string): DocumentReport {
  const lineOfField = (path: string) => lineOf(path === '(document)' ? prefix : prefix ? `${prefix}${path.startsWith('[') ? '' : '.'}${path}` : path);
  const line = lineOf(prefix);
  let result: DocumentResult;
  try {
    result = validate(value);
  } catch (err) {
    return {
      ...at, line, ...identityOf(value), outcome: 'rejected',
      errors: [{ path: '(document)', line, reason: 'InternalError', message: `virtstack's validator failed on this document: ${String((err as { message?: unknown })?.message ?? err)}`, hint: 'this is a virtstack bug: please report it with the document' }],
    };
  }
  return {
    ...at, line,
    ...(result.apiVersion !== undefined ? { apiVersion: result.apiVersion } : {}),
    ...(result.kind !== undefined ? { kind: result.kind } : {}),
    ...(result.name !== undefined ? { name: result.name } : {}),
    ...(result.namespace !== undefined ? { namespace: result.namespace } : {}),
    outcome: result.outcome,
    errors: result.errors.map((e) => ({ ...e, line: lineOfField(e.path) })),
    ...(result.note !== undefined ? { note: result.note } : {}),
  };
}

// Read directly when the validator could not say: the name is what lets the user find the document.
function identityOf(value: unknown): Pick<DocumentReport, 'apiVersion' | 'kind' | 'name' | 'namespace'> {
  const obj = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const meta = typeof obj.metadata === 'object' && obj.metadata !== null ? (obj.metadata as Record<string, unknown>) : {};
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const out: Pick<DocumentReport, 'apiVersion' | 'kind' | 'name' | 'namespace'> = {};
  const [apiVersion, kind, name, namespace] = [str(obj.apiVersion), str(obj.kind), str(meta.name), str(meta.namespace)];
  if (apiVersion !== undefined) out.apiVersion = apiVersion;
  if (kind !== undefined) out.kind = kind;
  if (name !== undefined) out.name = name;
  if (namespace !== undefined) out.namespace = namespace;
  return out;
}
