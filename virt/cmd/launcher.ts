// virt-launcher entry: reads flags, runs the launcher, exits with its code. Started through
// launcherArgv() (virt/protocol), which puts it in its own PID and mount namespaces under tini; run
// without --in-namespace it refuses, because its daemon would take over the host's libvirt paths.
import { parseArgs } from 'node:util';
import { runLauncher } from '../launcher/launcher-process.js';
import { jsonLogger } from '../logger/logger.js';
import type { ProbeGuest } from '../accelerator/kvm-probe.js';

const { values } = parseArgs({
  options: {
    socket: { type: 'string' },
    'runtime-dir': { type: 'string' },
    'cache-dir': { type: 'string' },
    accelerator: { type: 'string', default: 'auto' },
    'volumes-dir': { type: 'string' },
    'container-disks-dir': { type: 'string' },
    'kernel-boot-dir': { type: 'string' },
    'secrets-dir': { type: 'string' },
    listen: { type: 'string' },
    'pod-tap': { type: 'string' },
    'migration-ports': { type: 'string' },
    'probe-guest': { type: 'string' },
    'prepare-only': { type: 'boolean', default: false },
    'in-namespace': { type: 'boolean', default: false },
    'host-mnt-ns': { type: 'string' },
  },
  strict: true,
});

const log = jsonLogger({ component: 'virt-launcher', pid: process.pid });
function fail(msg: string): never {
  log.error(msg);
  process.exit(2);
}

if (!values['in-namespace']) fail('start the launcher with launcherArgv() from virt/protocol (unshare + tini); it must own private PID and mount namespaces');
if (!values.socket || !values['runtime-dir'] || !values['cache-dir']) fail('--socket, --runtime-dir and --cache-dir are required');
const accelerator = values.accelerator;
if (accelerator !== 'auto' && accelerator !== 'kvm' && accelerator !== 'tcg') fail(`--accelerator must be auto, kvm or tcg, not ${accelerator}`);
let listen: { address: string; port: number } | undefined;
if (values.listen) {
  const m = /^(.*):(\d+)$/.exec(values.listen);
  if (!m) fail(`--listen must be ADDRESS:PORT, not ${values.listen}`);
  listen = { address: m[1]!, port: Number(m[2]) };
}
let podTap: { dev: string; mtu?: number } | undefined;
if (values['pod-tap']) {
  const m = /^([A-Za-z0-9_.-]{1,15})(?::(\d+))?$/.exec(values['pod-tap']);
  if (!m) fail(`--pod-tap must be DEVICE or DEVICE:MTU, not ${values['pod-tap']}`);
  podTap = { dev: m[1]!, ...(m[2] ? { mtu: Number(m[2]) } : {}) };
}
let migrationPorts: { min: number; max: number } | undefined;
if (values['migration-ports']) {
  const m = /^(\d+)-(\d+)$/.exec(values['migration-ports']);
  if (!m) fail(`--migration-ports must be MIN-MAX, not ${values['migration-ports']}`);
  migrationPorts = { min: Number(m[1]), max: Number(m[2]) };
}

function parseProbeGuest(raw: string): ProbeGuest {
  let v: Partial<ProbeGuest> | undefined;
  try {
    v = JSON.parse(raw) as Partial<ProbeGuest>;
  } catch {
    fail('--probe-guest is not JSON');
  }
  if (typeof v?.kernel !== 'string' || typeof v.marker !== 'string') fail('--probe-guest must be JSON {kernel, initrd?, cmdline?, marker}');
  return v as ProbeGuest;
}

const hostMountNamespace = values['host-mnt-ns'] ?? fail('--host-mnt-ns is required (launcherArgv passes the caller\'s mount namespace)');

try {
  process.exitCode = await runLauncher(
    {
      socket: values.socket,
      runtimeDir: values['runtime-dir'],
      cacheDir: values['cache-dir'],
      accelerator,
      hostMountNamespace,
      ...(values['volumes-dir'] ? { volumesDir: values['volumes-dir'] } : {}),
      ...(values['container-disks-dir'] ? { containerDisksDir: values['container-disks-dir'] } : {}),
      ...(values['kernel-boot-dir'] ? { kernelBootDir: values['kernel-boot-dir'] } : {}),
      ...(values['secrets-dir'] ? { secretsDir: values['secrets-dir'] } : {}),
      ...(listen ? { listen } : {}),
      ...(podTap ? { podTap } : {}),
      ...(migrationPorts ? { migrationPorts } : {}),
      ...(values['probe-guest'] ? { probeGuest: parseProbeGuest(values['probe-guest']) } : {}),
      prepareOnly: values['prepare-only'],
    },
    log,
  );
} catch (err) {
  const e = err as Error & { hint?: string };
  log.error('launcher failed', { error: e.message, hint: e.hint });
  process.exitCode = 1;
}
// The FFI worker threads and libvirt's event loop thread must not keep a finished launcher alive.
process.exit(process.exitCode ?? 0);
