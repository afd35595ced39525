// Holding the lock the cluster and e2e tests take while they build images and install the stack
// (test/cluster/stack.ts, STACK_LOCK): a test that makes the shared stack unusable for a moment (a fake
// upstream KubeVirt, a destroy and reinstall) holds it so other tests' ensureStack() waits instead of
// failing or installing in between.
import { spawn } from 'node:child_process';
import { STACK_LOCK } from '../cluster/stack.js';

/** Resolves once the lock is held; the returned function releases it. */
export async function holdStackLock(timeoutMs = 900_000): Promise<() => void> {
  // --no-fork: the lock's holder is this one process, so ending it releases the lock.
  const child = spawn('flock', ['--no-fork', '--timeout', String(Math.round(timeoutMs / 1000)), STACK_LOCK, 'sh', '-c', 'echo locked; exec sleep 3600'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`flock ${STACK_LOCK} ended with ${code} before holding the lock`)));
  });
  return () => {
    child.kill('SIGTERM');
  };
}
