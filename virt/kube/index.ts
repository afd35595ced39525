// virt/kube: the controller runtime every process builds on — the API contract and its HTTPS client,
// informers, the work queue and reconcile loop, expectations, leader election, status writes, Events.
export * from './api.js';
export * from './resources.js';
export type * from './core-types.js';
export * from './selectors.js';
export * from './patch.js';
export { deepEqual, writeStatus } from './status.js';
export * from './store.js';
export * from './backoff.js';
export * from './sleep.js';
export * from './informer.js';
export * from './work-queue.js';
export * from './controller.js';
export * from './expectations.js';
export * from './events.js';
export * from './leader-election.js';
export * from './kubeconfig.js';
export * from './http-api.js';
export { MemoryApi, type MemoryApiCall, type MemoryApiMethod } from './testing/memory-api.js';
