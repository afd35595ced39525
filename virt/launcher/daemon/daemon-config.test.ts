import { libvirtdConf, qemuConf } from './daemon-config.js';

describe('session daemon configuration', () => {
  it('keeps the daemon on its unix socket unless asked to listen, logging to the given file', () => {
    const conf = libvirtdConf({ logFile: '/r/libvirtd.log' });
    expect(conf).toContain('listen_tcp = 0');
    expect(conf).toContain('log_outputs = "3:file:/r/libvirtd.log"\n');
    expect(conf).not.toContain('tcp_port');
  });

  it('listens on the given address and port for incoming migrations', () => {
    const conf = libvirtdConf({ logFile: '/l', tcp: { address: '10.99.0.2', port: 16600 } });
    expect(conf).toContain('listen_tcp = 1\n');
    expect(conf).toContain('listen_addr = "10.99.0.2"\n');
    expect(conf).toContain('tcp_port = "16600"\n');
  });

  it('runs QEMU without virtlogd, a security driver or cgroups, with the migration port range', () => {
    expect(qemuConf({ migrationPorts: { min: 49200, max: 49210 } })).toBe(
      'security_driver = "none"\ndynamic_ownership = 0\nremember_owner = 0\nstdio_handler = "file"\ncgroup_controllers = [ ]\n' +
        'migration_port_min = 49200\nmigration_port_max = 49210\n',
    );
  });
});
