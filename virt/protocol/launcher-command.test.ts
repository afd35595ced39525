import { readlinkSync } from 'node:fs';
import { launcherArgv } from './launcher-command.js';

describe('launcher command', () => {
  it('ties the launcher to the process the caller holds, in new PID and mount namespaces under tini', () => {
    const { command, args } = launcherArgv({ node: '/n', entry: '/e.js', socket: '/s', runtimeDir: '/r', cacheDir: '/c', listen: { address: '10.0.0.2', port: 16509 }, migrationPorts: { min: 49152, max: 49215 } });
    expect(command).toBe('unshare');
    expect(args.slice(0, args.indexOf('--'))).toEqual(['--mount', '--pid', '--fork', '--kill-child', '--propagation', 'private', '--mount-proc']);
    expect(args.slice(args.indexOf('--') + 1, args.indexOf('/n'))).toEqual(['tini', '-s', '--', 'env', 'UV_THREADPOOL_SIZE=16']);
    expect(args).toEqual(expect.arrayContaining(['--host-mnt-ns', readlinkSync('/proc/self/ns/mnt'), '--listen', '10.0.0.2:16509', '--migration-ports', '49152-49215', '--accelerator', 'auto']));
    expect(args.at(-1)).toBe('--in-namespace');
  });

  it('passes a probe guest as JSON and only the directories given', () => {
    const { args } = launcherArgv({ node: '/n', entry: '/e.js', socket: '/s', runtimeDir: '/r', cacheDir: '/c', kernelBootDir: '/k', probeGuest: { kernel: '/k/vmlinuz', marker: 'M' } });
    expect(args[args.indexOf('--probe-guest') + 1]).toBe('{"kernel":"/k/vmlinuz","marker":"M"}');
    expect(args).toContain('--kernel-boot-dir');
    expect(args).not.toContain('--volumes-dir');
  });
});
