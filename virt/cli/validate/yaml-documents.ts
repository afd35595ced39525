// Splits one input into its YAML documents and keeps, for each, the means to map a field path back to
// the line it came from — the reason a CLI validator is worth more than the API server's answer.
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node, type Tags } from 'yaml';
import { parsePath } from '../../api/validation/field-path.js';

export type ParsedDocument =
  | { kind: 'object'; index: number; line: number; value: unknown; lineOf(path: string): number }
  /** `line`/`column`: where the parser stopped (for an unclosed bracket, the end of the input); `startLine`: where the document starts. */
  | { kind: 'malformed'; index: number; startLine: number; line: number; column: number; message: string };

/**
 * Read as the API server's own YAML decoder (go-yaml v2, YAML 1.1) reads, so a value checked here is the value
 * kubectl would send: `on`/`yes` are booleans, `0755` is octal, `<<` merges. Where the yaml package's 1.1
 * schema goes further than that decoder, it is narrowed: timestamps and base-60 numbers stay strings (`12:30`,
 * a MAC address), and a float needs a digit before its exponent (`model: e1000` is a string, not NaN).
 */
const PARSE_OPTIONS = { version: '1.1' as const, customTags: (tags: Tags) => tags.filter((t) => !isTimeTag(t)).map(strictFloat) };

const FLOAT_TAG = 'tag:yaml.org,2002:float';
const STRICT_FLOAT = /^[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)$/;
const STRICT_FLOAT_EXP = /^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)[eE][-+]?[0-9]+$/;

function isTimeTag(t: Tags[number]): boolean {
  if (typeof t === 'string') return t === 'timestamp' || t === 'intTime' || t === 'floatTime';
  return t.tag === 'tag:yaml.org,2002:timestamp' || (t as { format?: string }).format === 'TIME';
}

function strictFloat(t: Tags[number]): Tags[number] {
  if (typeof t === 'string' || t.tag !== FLOAT_TAG || !('test' in t) || !t.test) return t;
  if (t.test.test('e1000')) return { ...t, test: STRICT_FLOAT_EXP };
  if (t.test.test('.')) return { ...t, test: STRICT_FLOAT };
  return t;
}

/** Bounds alias expansion ("billion laughs") the way Kubernetes' decoder bounds it. */
const MAX_ALIAS_COUNT = 100;

export function parseYamlDocuments(text: string): ParsedDocument[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { ...PARSE_OPTIONS, lineCounter: lines });
  const out: ParsedDocument[] = [];
  docs.forEach((doc, index) => {
    const start = doc.contents?.range[0] ?? doc.range[0];
    const line = lines.linePos(start).line;
    const syntax = doc.errors[0];
    if (syntax) {
      const pos = syntax.linePos?.[0] ?? lines.linePos(syntax.pos[0]);
      out.push({ kind: 'malformed', index, startLine: line, line: pos.line, column: pos.col, message: firstLine(syntax.message) });
      return;
    }
    if (doc.contents === null) return; // an empty document (`---` with nothing, or only comments)
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      // The yaml package reports unresolved or runaway aliases only when values are built.
      out.push({ kind: 'malformed', index, startLine: line, line, column: lines.linePos(start).col, message: err instanceof Error ? err.message : String(err) });
      return;
    }
    if (value === null || value === undefined) return; // `---` followed by `~` or `null`: nothing to check
    out.push({ kind: 'object', index, line, value, lineOf: (path) => lineOfPath(doc, lines, path, line) });
  });
  return out;
}

// The yaml package appends "at line N, column M:" and a source excerpt; the CLI prints FILE:LINE itself.
function firstLine(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * The line of the key (or list item) a field path names. A path that is not in the source — a required field
 * that is missing — maps to the line of the deepest part of it that is: the parent that lacks the field.
 */
export function lineOfPath(doc: Document, lines: LineCounter, path: string, documentLine: number): number {
  let node: unknown = doc.contents;
  let line = documentLine;
  for (const seg of parsePath(path)) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const keyStart = (pair.key as Node).range?.[0];
      if (keyStart !== undefined) line = lines.linePos(keyStart).line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      if (item.range) line = lines.linePos(item.range[0]).line;
      node = item;
    } else {
      break;
    }
  }
  return line;
}
