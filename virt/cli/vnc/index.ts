// virtctl vnc.
export { startVncProxy, vncCommand } from './vnc-command.js';
