// The launcher's public surface: the process entry (virt/cmd/launcher.ts) and the handler-facing
// contract live in virt/protocol; these are for tests, benchmarks and the image build.
export { runLauncher, type LauncherOptions } from './launcher-process.js';
export { Launcher, type LauncherDeps } from './launcher.js';
export { vmiToDomainXml, domainName, type ConverterContext } from './domain/index.js';
export { VM_ROOT, VM_PATHS } from './volumes/vm-root.js';
