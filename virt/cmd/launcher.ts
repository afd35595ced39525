// virt-launcher entry: the compute container of a launcher pod, started by launcherCommand() from
// virt/protocol (tini -s -- env UV_THREADPOOL_SIZE=16 node launcher.js --pod ...). Reads flags, runs the
// launcher as the pod's unprivileged user, exits with its code: 0 when the VM is gone (shut off, stopped,
// migrated), 1 when it failed (QEMU died, the daemon died), 2 for bad flags.
import { parseArgs } from 'node:util';
import { runLauncher } from '../launcher/launcher-process.js';
import { jsonLogger } from '../logger/logger.js';
import { LAUNCHER_CAPS_DIR_IN_IMAGE } from '../protocol/launcher-command.js';
import { LAUNCHER_POD, MIGRATION_TARGET_ENV } from '../protocol/launcher-pod.js';

const { values } = parseArgs({
  options: {
    pod: { type: 'boolean', default: false },
    socket: { type: 'string', default: `${LAUNCHER_POD.socketsMountPath}/${LAUNCHER_POD.socketFile}` },
    'runtime-dir': { type: 'string', default: LAUNCHER_POD.runtimeMountPath },
    'caps-dir': { type: 'string', default: LAUNCHER_CAPS_DIR_IN_IMAGE },
    listen: { type: 'string' },
    'migration-ports': { type: 'string' },
    'prepare-only': { type: 'boolean', default: false },
  },
  strict: true,
});

const log = jsonLogger({ component: 'virt-launcher', pid: process.pid });
function fail(msg: string): never {
  log.error(msg);
  process.exit(2);
}

if (!values.pod) fail('--pod is required: the launcher runs only as a launcher pod\'s compute container (see launcherCommand() in virt/protocol)');
let listen: { address: string; port: number } | undefined;
if (values.listen) {
  const m = /^(.*):(\d+)$/.exec(values.listen);
  if (!m) fail(`--listen must be ADDRESS:PORT, not ${values.listen}`);
  listen = { address: m[1]!, port: Number(m[2]) };
}
let migrationPorts: { min: number; max: number } | undefined;
if (values['migration-ports']) {
  const m = /^(\d+)-(\d+)$/.exec(values['migration-ports']);
  if (!m) fail(`--migration-ports must be MIN-MAX, not ${values['migration-ports']}`);
  migrationPorts = { min: Number(m[1]), max: Number(m[2]) };
}

try {
  process.exitCode = await runLauncher(
    {
      socket: values.socket,
      runtimeDir: values['runtime-dir'],
      capsDir: values['caps-dir'],
      ...(listen ? { listen } : {}),
      ...(migrationPorts ? { migrationPorts } : {}),
      prepareOnly: values['prepare-only'],
      migrationTarget: process.env[MIGRATION_TARGET_ENV] === 'true',
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
