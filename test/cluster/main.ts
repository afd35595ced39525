// `npm run cluster:up` / `cluster:down` / `images`, and `node dist/test/cluster/main.js status`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ClusterError } from './exec.js';
import { down, leftovers, state, up } from './cluster.js';
import { buildImages, imagesArgs, importImages, pushImages, stackImageRevision } from './images.js';
import { clusterRoot, kubeconfigPath, logsDir, NODES } from './paths.js';
import { daemonAlive } from './host.js';
import { ToolchainError } from '../../toolchain/build.js';

const USAGE = `usage: node dist/test/cluster/main.js <command>

  up       start the local two-node Kubernetes cluster (npm run cluster:up); a no-op when it is up,
           a clean restart when a previous run left broken state. Needs root.
  down     stop every process, unmount, remove the network namespaces, links, routes, firewall rules
           and cgroups, and delete the state (npm run cluster:down). Logs of the last run are kept.
  images   build the images/* Containerfiles that changed (buildah) and import them into the running
           nodes (npm run images [-- name...])
  status   print what runs

State: ${clusterRoot()} (VIRTSTACK_CLUSTER_ROOT), logs: ${logsDir()}, kubeconfig: ${kubeconfigPath()}
`;

const log = (line: string): void => void process.stderr.write(line + '\n');

const LOCK_ENV = 'VIRTSTACK_CLUSTER_LOCKED';
const LOCK_FILE = '/run/virtstack-cluster.lock';

// up, down and images change shared host state: one at a time. flock(1) holds the lock for the
// re-run child and the kernel drops it if that child dies, so a crash never leaves it held.
function underLock(argv: string[]): number {
  const script = fileURLToPath(import.meta.url);
  const env = { ...process.env, [LOCK_ENV]: '1' };
  const now = spawnSync('flock', ['--nonblock', '--conflict-exit-code', '75', LOCK_FILE, process.execPath, script, ...argv], { stdio: 'inherit', env });
  if (now.error) throw new ClusterError(`cannot run flock (util-linux): ${now.error.message}`);
  if (now.status !== 75) return now.status ?? 1;
  log(`cluster: another cluster command holds ${LOCK_FILE}; waiting for it`);
  return spawnSync('flock', [LOCK_FILE, process.execPath, script, ...argv], { stdio: 'inherit', env }).status ?? 1;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if ((cmd === 'up' || cmd === 'down' || cmd === 'images') && !process.env[LOCK_ENV] && process.getuid?.() === 0) return underLock(argv);
  switch (cmd) {
    case 'up': {
      const r = await up(log);
      if (!r.alreadyUp) {
        const phases = Object.entries(r.phases).map(([k, v]) => `${k} ${v.toFixed(1)}s`).join(', ');
        log(`cluster: up in ${r.seconds.toFixed(1)} s (${phases}); logs in ${logsDir()}`);
      }
      process.stdout.write(`export KUBECONFIG=${kubeconfigPath()}\n`);
      return 0;
    }
    case 'down':
      await down(log);
      return 0;
    case 'images': {
      const { names, push } = imagesArgs(rest);
      const reports = buildImages(log, names.length ? names : undefined);
      for (const r of reports) log(`images: ${r.name}: ${r.built ? `built in ${r.seconds.toFixed(1)} s` : 'unchanged'} (${r.archive})`);
      for (const n of NODES) {
        if (daemonAlive(`${n.name}-containerd`)) await importImages(n, reports, log);
      }
      const revision = stackImageRevision();
      if (revision) log(`images: stack revision ${revision} (npm run stack:up -- --image-revision=${revision} rolls the stack onto these images)`);
      if (push) {
        pushImages(push.prefix, log, push);
        log(`images: install from there with: npm run stack:up -- --image-prefix ${push.prefix}/${push.tag ? ` --image-tag ${push.tag}` : ''}`);
      }
      return 0;
    }
    case 'status': {
      const s = await state();
      process.stdout.write(`running: ${s.running.join(', ') || 'nothing'}\n`);
      if (s.running.length) process.stdout.write(`not running: ${s.dead.join(', ') || 'nothing'}\n`);
      process.stdout.write(`healthy: ${s.healthy ? 'yes' : 'no'}\n`);
      const left = s.running.length ? [] : leftovers();
      if (left.length) process.stdout.write(`left over: ${left.join('; ')}\n`);
      return s.healthy ? 0 : 1;
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`cluster: unknown command '${cmd}'\n\n${USAGE}`);
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (e instanceof ClusterError || e instanceof ToolchainError) {
    process.stderr.write(`cluster: ${e.message}\n`);
    process.exitCode = 1;
  } else {
    throw e;
  }
}
