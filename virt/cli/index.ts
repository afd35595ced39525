// virt/cli: virtctl's commands and the dispatcher the entrypoint calls.
export { runVirtctl, virtctlUsage, COMMANDS } from './dispatch.js';
export { EXIT_OK, EXIT_FAILED, EXIT_USAGE, type CliCommand, type CliIo } from './command.js';
export { validateCommand } from './validate/index.js';
