// virt/importer: the DataVolume importer process (one pod per import).
export * from './import-error.js';
export * from './import-disk.js';
export * from './importer-config.js';
export * from './progress-server.js';
