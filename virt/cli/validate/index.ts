// virtctl validate: the public surface the entrypoint and tests use.
export { validateCommand, runValidate, parseValidateArgs, VALIDATE_USAGE } from './validate-command.js';
export { validateInputs } from './validate-inputs.js';
export { resolveInputs, STDIN_NAME, MANIFEST_EXTENSIONS, type ManifestInput, type ResolvedInputs, type UnreadablePath } from './manifest-inputs.js';
export { parseYamlDocuments, type ParsedDocument } from './yaml-documents.js';
export { formatText } from './format-text.js';
export { formatJson } from './format-json.js';
export { summaryLine, passed, type ValidationReport, type DocumentReport, type ReportedError, type Summary, type DocumentOutcome } from './report.js';
