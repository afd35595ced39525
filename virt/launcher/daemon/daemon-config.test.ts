import { libvirtdConf, qemuConf } from './daemon-config.js';

describe('private daemon configuration', () => {
  it('keeps the daemon on its unix socket unless asked to listen', () => {
    const conf = libvirtdConf({});
    expect(conf).toContain('listen_tcp = 0');
    expect(conf).not.toContain('tcp_port');
  });

  it('listens on the given address and port for incoming migrations', () => {
    const conf = libvirtdConf({ tcp: { address: '10.99.0.2', port: 16600 } });
    expect(conf).toContain('listen_tcp = 1\n');
    expect(conf).toContain('listen_addr = "10.99.0.2"\n');
    expect(conf).toContain('tcp_port = "16600"\n');
  });

  it('runs QEMU without virtlogd, cgroups or per-VM namespaces, with the migration port range', () => {
    expect(qemuConf({ migrationPorts: { min: 49200, max: 49210 } })).toBe(
      'user = "root"\ngroup = "root"\ndynamic_ownership = 0\nremember_owner = 0\nsecurity_driver = "none"\nstdio_handler = "file"\n' +
        'namespaces = [ ]\ncgroup_controllers = [ ]\nmigration_port_min = 49200\nmigration_port_max = 49210\n',
    );
  });
});
