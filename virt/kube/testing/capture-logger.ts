// A Logger for tests that keeps every line as a parsed object, so a test can assert what was logged
// (level, message, fields) without reading stderr.
import { jsonLogger, type Logger, type LogLevel } from '../../logger/logger.js';

export interface LogLine {
  level: LogLevel;
  msg: string;
  [field: string]: unknown;
}

export function captureLogger(level: LogLevel = 'debug'): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = jsonLogger({}, { level, write: (line) => lines.push(JSON.parse(line) as LogLine) });
  return { log, lines };
}
