// The DataVolume controller <-> importer contract (see importer-pod.ts).
export * from './importer-pod.js';
