// The Pod Security Standards "baseline" level as the admission plugin checks it (kubernetes/pod-security-
// admission, policy/check_*.go, as of v1.34), for tests of the pods virtstack writes. Returns one message per
// violated rule; an empty list means the pod would be admitted in a namespace enforcing baseline.
import type { Container, PodManifest } from '../pod-manifest.js';

/** Capabilities a container may add under baseline (check_capabilities_baseline.go). */
export const BASELINE_CAPABILITIES: ReadonlySet<string> = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);

/** The "safe" sysctls (check_sysctls.go, union up to v1.32, the newest a v1.34 server enforces by default). */
export const BASELINE_SYSCTLS: ReadonlySet<string> = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem',
]);

const SELINUX_TYPES: ReadonlySet<string> = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

export function baselineViolations(pod: PodManifest): string[] {
  const out: string[] = [];
  const spec = pod.spec;
  const containers: Container[] = [...(spec.initContainers ?? []), ...spec.containers];
  const psc = spec.securityContext ?? {};

  if (psc.windowsOptions?.hostProcess || containers.some((c) => c.securityContext?.windowsOptions?.hostProcess)) out.push('hostProcess: Windows host processes are forbidden');
  for (const ns of ['hostNetwork', 'hostPID', 'hostIPC'] as const) if (spec[ns]) out.push(`hostNamespaces: ${ns}=true is forbidden`);
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    if (sc.privileged) out.push(`privileged: container ${c.name} is privileged`);
    const extra = (sc.capabilities?.add ?? []).filter((cap) => !BASELINE_CAPABILITIES.has(cap));
    if (extra.length) out.push(`capabilities: container ${c.name} adds ${extra.join(', ')}`);
    for (const p of c.ports ?? []) if (p.hostPort) out.push(`hostPorts: container ${c.name} uses hostPort ${p.hostPort}`);
    if (sc.procMount !== undefined && sc.procMount !== 'Default') out.push(`procMount: container ${c.name} uses procMount ${sc.procMount}`);
    if (sc.seccompProfile?.type === 'Unconfined') out.push(`seccompProfile: container ${c.name} is Unconfined`);
    if (sc.appArmorProfile?.type === 'Unconfined') out.push(`appArmorProfile: container ${c.name} is Unconfined`);
    const se = sc.seLinuxOptions;
    if (se && (!SELINUX_TYPES.has(se.type ?? '') || se.user || se.role)) out.push(`seLinuxOptions: container ${c.name} sets a forbidden type, user or role`);
  }
  for (const v of spec.volumes ?? []) if (v.hostPath) out.push(`hostPathVolumes: volume ${v.name} is a hostPath`);
  if (psc.seccompProfile?.type === 'Unconfined') out.push('seccompProfile: the pod is Unconfined');
  if (psc.appArmorProfile?.type === 'Unconfined') out.push('appArmorProfile: the pod is Unconfined');
  if (psc.seLinuxOptions && (!SELINUX_TYPES.has(psc.seLinuxOptions.type ?? '') || psc.seLinuxOptions.user || psc.seLinuxOptions.role)) out.push('seLinuxOptions: the pod sets a forbidden type, user or role');
  for (const s of psc.sysctls ?? []) if (!BASELINE_SYSCTLS.has(s.name)) out.push(`sysctls: ${s.name} is not a safe sysctl`);
  for (const [k, v] of Object.entries(pod.metadata.annotations ?? {})) {
    if (k.startsWith('container.apparmor.security.beta.kubernetes.io/') && v !== 'runtime/default' && !v.startsWith('localhost/')) out.push(`appArmorProfile: annotation ${k}=${v}`);
  }
  return out;
}
