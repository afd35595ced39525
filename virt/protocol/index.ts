export * from './messages.js';
export { LauncherCallError, LauncherFault } from './errors.js';
export { LauncherClient } from './client.js';
export { LauncherServer, toErrorBody, type LauncherApi } from './server.js';
export * from './launcher-command.js';
