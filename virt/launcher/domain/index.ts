export { vmiToDomainXml, domainName, METADATA_NS } from './convert.js';
export { noCloudFiles, type NoCloudFiles, type SecretReader } from './cloud-init.js';
export { ConversionError } from './errors.js';
export { guestMemoryBytes } from './memory.js';
export type { ConverterContext, ResolvedVolume, PodNetwork, Accelerator } from './context.js';
