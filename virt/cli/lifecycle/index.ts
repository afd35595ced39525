// virtctl start, stop, restart, pause, unpause.
export { vmActionCommand, type VmAction } from './vm-actions.js';
export { vmiActionCommand, type VmiAction } from './vmi-actions.js';
