// The human (and grep/editor) form: one line per problem, FILE:LINE first so editors can jump to it.
import { formatFieldError, type FieldError } from '../../api/validation/field-error.js';
import { summaryLine, type DocumentReport, type ValidationReport } from './report.js';

export function formatText(report: ValidationReport): string {
  const lines: string[] = [];
  for (const doc of report.documents) lines.push(...documentLines(doc));
  for (const u of report.unreadable) lines.push(`${u.file}: cannot read: ${u.message}`);
  lines.push(summaryLine(report.summary));
  return `${lines.join('\n')}\n`;
}

function documentLines(doc: DocumentReport): string[] {
  const who = `${doc.kind ?? '<no kind>'}/${doc.name ?? '<no name>'}`;
  switch (doc.outcome) {
    case 'accepted':
      return [];
    case 'ignored':
      return [`${doc.file}:${doc.line}: ${who}: note: ${doc.note ?? 'not a virtstack kind; not checked'}`];
    case 'malformed':
      return doc.errors.map((e) => {
        const where = [`column ${e.column ?? 1}`, ...(doc.line !== e.line ? [`in the document starting at line ${doc.line}`] : []), 'nothing in this document was checked'];
        return `${doc.file}:${e.line}: invalid YAML: ${e.message} (${where.join('; ')})`;
      });
    case 'rejected':
      return doc.errors.map((e) => `${doc.file}:${e.line}: ${who}: ${formatFieldError(e as FieldError)}`);
  }
}
