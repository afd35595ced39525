// The machine form: one JSON object with every document, its outcome and each error placed on its line.
// Keys are written in a fixed order so diffs of two runs stay readable.
import { passed, summaryLine, type DocumentReport, type ReportedError, type ValidationReport } from './report.js';

export function formatJson(report: ValidationReport): string {
  const out = {
    documents: report.documents.map(documentJson),
    unreadable: report.unreadable.map((u) => ({ file: u.file, message: u.message })),
    summary: { ...report.summary, passed: passed(report.summary), text: summaryLine(report.summary) },
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

function documentJson(d: DocumentReport): Record<string, unknown> {
  return {
    file: d.file,
    line: d.line,
    index: d.index,
    ...(d.item !== undefined ? { item: d.item } : {}),
    apiVersion: d.apiVersion ?? null,
    kind: d.kind ?? null,
    name: d.name ?? null,
    namespace: d.namespace ?? null,
    outcome: d.outcome,
    ...(d.note !== undefined ? { note: d.note } : {}),
    errors: d.errors.map(errorJson),
  };
}

function errorJson(e: ReportedError): Record<string, unknown> {
  return {
    path: e.path,
    line: e.line,
    ...(e.column !== undefined ? { column: e.column } : {}),
    reason: e.reason,
    message: e.message,
    ...(e.value !== undefined ? { value: e.value } : {}),
    ...(e.allowed !== undefined ? { allowed: e.allowed } : {}),
    ...(e.hint !== undefined ? { hint: e.hint } : {}),
  };
}
