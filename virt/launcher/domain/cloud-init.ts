// cloudInitNoCloud volume -> the files of a NoCloud "cidata" disk (user-data, meta-data, network-config),
// as KubeVirt writes them: instance-id "<name>.<namespace>", local-hostname the VMI's hostname.
import type { Volume } from '../../api/index.js';
import { ConversionError } from './errors.js';

type NoCloud = NonNullable<Volume['cloudInitNoCloud']>;

export interface NoCloudFiles {
  'meta-data': string;
  'user-data': string;
  'network-config'?: string;
}

export interface NoCloudIdentity {
  name: string;
  namespace: string;
  hostname: string;
}

/** Reads one key of a Secret mounted for the launcher (undefined when the key is absent). */
export type SecretReader = (secretName: string, keys: readonly string[]) => string | undefined;

function decodeBase64(field: string, value: string): string {
  if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(value)) throw new ConversionError(field, 'is not valid base64', 'encode the data with `base64 -w0`');
  return Buffer.from(value, 'base64').toString('utf8');
}

export function noCloudFiles(src: NoCloud, who: NoCloudIdentity, field: string, readSecret: SecretReader): NoCloudFiles {
  let userData = '';
  if (src.userData !== undefined) userData = src.userData;
  else if (src.userDataBase64 !== undefined) userData = decodeBase64(`${field}.userDataBase64`, src.userDataBase64);
  else if (src.secretRef?.name) {
    const v = readSecret(src.secretRef.name, ['userdata', 'userData']);
    if (v === undefined) throw new ConversionError(`${field}.secretRef`, `secret "${src.secretRef.name}" has no userdata or userData key`, 'add the key, or reference another secret');
    userData = v;
  }
  let networkConfig: string | undefined;
  if (src.networkData !== undefined) networkConfig = src.networkData;
  else if (src.networkDataBase64 !== undefined) networkConfig = decodeBase64(`${field}.networkDataBase64`, src.networkDataBase64);
  else if (src.networkDataSecretRef?.name) {
    networkConfig = readSecret(src.networkDataSecretRef.name, ['networkdata', 'networkData']);
    if (networkConfig === undefined) throw new ConversionError(`${field}.networkDataSecretRef`, `secret "${src.networkDataSecretRef.name}" has no networkdata or networkData key`, 'add the key, or reference another secret');
  }
  const files: NoCloudFiles = {
    'meta-data': `instance-id: ${who.name}.${who.namespace}\nlocal-hostname: ${who.hostname}\n`,
    'user-data': userData,
  };
  if (networkConfig !== undefined) files['network-config'] = networkConfig;
  return files;
}
