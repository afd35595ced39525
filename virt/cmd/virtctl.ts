// virtctl entrypoint: wires the process (argv, stdio, exit code) to virt/cli. The only place that sets
// the exit status; every command returns its code instead of exiting.
import { text } from 'node:stream/consumers';
import { EXIT_FAILED, runVirtctl, type CliIo } from '../cli/index.js';

// A reader that quits early (`virtctl validate ... | head`) closes the pipe; that is not an error to report.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

// Ctrl+C (outside a raw terminal) and SIGTERM end long-running commands (vnc --proxy-only, console) cleanly.
const interrupted = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => interrupted.abort());

const io: CliIo = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  readStdin: () => text(process.stdin),
  terminal: { input: process.stdin, output: process.stdout },
  signal: interrupted.signal,
};

try {
  process.exitCode = await runVirtctl(process.argv.slice(2), io);
} catch (err) {
  // Reaching here is a virtctl bug, not a user mistake: say so in one line; the stack only on request.
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`virtctl: internal error: ${message}\n`);
  if (process.env.VIRTCTL_DEBUG) process.stderr.write(`${err instanceof Error ? err.stack : ''}\n`);
  else process.stderr.write('virtctl: this is a bug; rerun with VIRTCTL_DEBUG=1 for details and report it\n');
  process.exitCode = EXIT_FAILED;
}
// Streams and sockets a command leaves behind (stdin, keep-alive agents) must not hold the exit; what was
// printed goes out first.
process.stdout.write('', () => process.exit(process.exitCode));
