import { containerDiskMarker, holdCommand, KERNEL_BOOT_MARKER, launcherCommand } from './launcher-command.js';

describe('launcher command', () => {
  it('runs the launcher under tini as a subreaper with a larger libuv pool, in pod mode with the image defaults', () => {
    expect(launcherCommand()).toEqual({
      command: 'tini',
      args: ['-s', '--', 'env', 'UV_THREADPOOL_SIZE=16', 'node', '/opt/virtstack/dist/virt/cmd/launcher.js', '--pod'],
    });
  });

  it('passes only the options given', () => {
    const { args } = launcherCommand({ node: '/n', entry: '/e.js', capsDir: '/c', listen: { address: '10.0.0.2', port: 16509 }, migrationPorts: { min: 49152, max: 49215 }, prepareOnly: true });
    expect(args.slice(args.indexOf('/n'))).toEqual(['/n', '/e.js', '--pod', '--caps-dir', '/c', '--listen', '10.0.0.2:16509', '--migration-ports', '49152-49215', '--prepare-only']);
    expect(args).not.toContain('--socket');
  });

  it('marks sibling containers so the launcher can find them by one exact argument', () => {
    expect(holdCommand(containerDiskMarker('rootdisk'))).toEqual(['/var/run/virtstack/hold/virtstack-hold', 'virtstack-container-disk=rootdisk']);
    expect(holdCommand(KERNEL_BOOT_MARKER)).toEqual(['/var/run/virtstack/hold/virtstack-hold', 'virtstack-kernel-boot']);
  });
});
