// Test support for code built on virt/kube: an in-memory API server, a capturing logger, polling.
export * from './memory-api.js';
export * from './capture-logger.js';
export * from './poll.js';
