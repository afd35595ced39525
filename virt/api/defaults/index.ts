export * from './cluster-defaults.js';
export * from './vmi-spec.js';
export * from './vm.js';
export * from './datavolume.js';
export * from './migration-settings.js';
