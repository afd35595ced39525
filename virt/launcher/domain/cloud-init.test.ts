import { noCloudFiles } from './cloud-init.js';
import { ConversionError } from './errors.js';

const who = { name: 'vm1', namespace: 'ns', hostname: 'vm1' };
const noSecrets = () => undefined;

describe('cloud-init NoCloud configurator', () => {
  it('writes user-data and KubeVirt\'s meta-data', () => {
    expect(noCloudFiles({ userData: '#cloud-config\nhostname: x\n' }, who, 'f', noSecrets)).toEqual({
      'meta-data': 'instance-id: vm1.ns\nlocal-hostname: vm1\n',
      'user-data': '#cloud-config\nhostname: x\n',
    });
  });

  it('decodes base64 user-data and network data', () => {
    const files = noCloudFiles(
      { userDataBase64: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'), networkDataBase64: Buffer.from('version: 2\n').toString('base64') },
      who,
      'f',
      noSecrets,
    );
    expect(files['user-data']).toBe('#!/bin/sh\necho hi\n');
    expect(files['network-config']).toBe('version: 2\n');
  });

  it('reads user-data from the referenced secret, naming the field when the key is missing', () => {
    const secrets = (name: string, keys: readonly string[]) => (name === 's1' && keys.includes('userdata') ? 'from-secret' : undefined);
    expect(noCloudFiles({ secretRef: { name: 's1' } }, who, 'f', secrets)['user-data']).toBe('from-secret');
    expect(() => noCloudFiles({ secretRef: { name: 's2' } }, who, 'spec.volumes[1].cloudInitNoCloud', secrets)).toThrow(/spec.volumes\[1\].cloudInitNoCloud.secretRef/);
  });

  it('rejects malformed base64', () => {
    expect(() => noCloudFiles({ userDataBase64: '%%%' }, who, 'v', noSecrets)).toThrow(ConversionError);
  });
});
