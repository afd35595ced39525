export type { Connection, Domain, Hypervisor, JobInfo, JobStats } from './connection.js';
export { MigrateFlag } from './connection.js';
export { DomainState, DomainEventType, describeState, type DomainStateInfo, type DomainLifecycleEvent } from './domain-state.js';
export { LibvirtError, VirErrorCode, isLibvirtError } from './errors.js';
export { TypedParamType, type TypedParam } from './typed-params.js';
export { FfiHypervisor } from './ffi-connection.js';
export { FakeHypervisor } from './fake-connection.js';
