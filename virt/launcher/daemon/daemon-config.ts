// Configuration files of the launcher's libvirt session daemon ($XDG_CONFIG_HOME/libvirt/). The daemon
// runs as the launcher's own unprivileged user (uid 107), so it has nothing to share and nothing to
// protect from its single VM: no security driver, no cgroups, no virtlogd.

export interface DaemonConfigOptions {
  /** Listen for other daemons (the source of an incoming migration) on TCP; omitted: unix socket only. */
  tcp?: { address: string; port: number };
  /** QEMU's incoming-migration port range (a migration target listens on one of them). */
  migrationPorts?: { min: number; max: number };
}

export function libvirtdConf(opts: DaemonConfigOptions & { logFile: string }): string {
  const lines = [
    'listen_tls = 0',
    `listen_tcp = ${opts.tcp ? 1 : 0}`,
    // Unauthenticated TCP is acceptable only because the port is reachable from the node network alone
    // (the handler relays it); a production deployment would put TLS here.
    'auth_tcp = "none"',
    'auth_unix_rw = "none"',
    'auth_unix_ro = "none"',
    'unix_sock_rw_perms = "0700"',
    'unix_sock_ro_perms = "0700"',
    `log_outputs = "3:file:${opts.logFile}"`,
    'keepalive_interval = 5',
    'keepalive_count = 5',
  ];
  if (opts.tcp) lines.push(`listen_addr = "${opts.tcp.address}"`, `tcp_port = "${opts.tcp.port}"`);
  return lines.join('\n') + '\n';
}

export function qemuConf(opts: DaemonConfigOptions): string {
  const lines = [
    // The pod is the sandbox: an unprivileged user cannot relabel or chown anyway.
    'security_driver = "none"',
    'dynamic_ownership = 0',
    'remember_owner = 0',
    // No virtlogd: QEMU writes its own log file, one less daemon per VM (session mode starts one otherwise).
    'stdio_handler = "file"',
    // Resource limits belong to the pod's cgroup, which the kubelet owns.
    'cgroup_controllers = [ ]',
  ];
  if (opts.migrationPorts) lines.push(`migration_port_min = ${opts.migrationPorts.min}`, `migration_port_max = ${opts.migrationPorts.max}`);
  return lines.join('\n') + '\n';
}
