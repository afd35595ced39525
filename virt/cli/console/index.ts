// virtctl console.
export { consoleCommand, runConsoleSession } from './console-command.js';
export { ESCAPE_BYTE, splitAtEscape } from './escape.js';
