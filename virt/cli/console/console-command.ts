// `virtctl console NAME`: the VMI's serial console in the user's terminal, raw, as upstream's virtctl:
// every key goes to the guest except Ctrl+], which ends the session.
import type { WebSocket } from 'ws';
import { EXIT_FAILED, EXIT_OK, type CliCommand, type CliIo, type CliTerminal } from '../command.js';
import { CliError, CONNECTION_USAGE, openVmiStream, runClusterCommand, usageError, type ClusterCommandSpec } from '../connection/index.js';
import { splitAtEscape } from './escape.js';

const USAGE = `usage: virtctl console NAME [options]

Connect to the serial console of VirtualMachineInstance NAME (a VM's VMI has the VM's name). The terminal
is raw: every key goes to the guest. The escape sequence is Ctrl+] (^]): it ends the session.

options:
  --timeout MINUTES     how long to wait for the VMI to exist and run (default 5; 0: do not wait)
  -h, --help            show this help

${CONNECTION_USAGE}
exit status: 0 the session ended (escape, or the guest's console closed); 1 the console could not be
opened (not found, forbidden, not running after the timeout) or broke; 2 usage
`;

interface ConsoleInput {
  name: string;
  timeoutMs: number;
}

/** Pumps the terminal into the console until the escape, the console's end, or an interrupt. */
export function runConsoleSession(ws: WebSocket, term: CliTerminal, signal?: AbortSignal): Promise<number> {
  const { input, output } = term;
  const raw = input.isTTY === true && typeof input.setRawMode === 'function';
  return new Promise<number>((resolve) => {
    let done = false;
    const finish = (code: number, message?: string) => {
      if (done) return;
      done = true;
      input.off('data', onInput);
      input.pause();
      if (raw) input.setRawMode!(false);
      signal?.removeEventListener('abort', onAbort);
      if (ws.readyState === ws.OPEN) ws.close(1000);
      if (message) output.write(`\r\n${message}\r\n`);
      resolve(code);
    };
    const onInput = (chunk: Buffer | string) => {
      const { send, escaped } = splitAtEscape(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      if (send.length > 0 && ws.readyState === ws.OPEN) ws.send(send, { binary: true });
      if (escaped) finish(EXIT_OK);
    };
    const onAbort = () => finish(EXIT_OK);
    ws.on('message', (data: Buffer) => output.write(data));
    ws.once('close', (code: number, reason: Buffer) => {
      // 1000/1005: an orderly end (the guest's console went away); others: the stream broke.
      if (code === 1000 || code === 1005) finish(EXIT_OK);
      else finish(EXIT_FAILED, `virtctl console: the console closed: ${reason.toString() || `WebSocket code ${code}`}`);
    });
    ws.once('error', (err: Error) => finish(EXIT_FAILED, `virtctl console: the console broke: ${err.message}`));
    signal?.addEventListener('abort', onAbort, { once: true });
    if (raw) input.setRawMode!(true);
    input.on('data', onInput);
    input.resume();
    ws.resume();
  });
}

function spec(): ClusterCommandSpec<ConsoleInput> {
  return {
    name: 'console',
    usage: USAGE,
    options: { timeout: { type: 'string' } },
    parse(values, positionals) {
      if (positionals.length !== 1) throw usageError(positionals.length === 0 ? 'the VirtualMachineInstance NAME is missing' : `expected one NAME, got ${positionals.join(' ')}`);
      const raw = typeof values.timeout === 'string' ? values.timeout : '5';
      if (!/^\d+$/.test(raw)) throw usageError(`--timeout must be a whole number of minutes, not "${raw}"`);
      return { name: positionals[0]!, timeoutMs: Number(raw) * 60_000 };
    },
    async run(cluster, input, io: CliIo) {
      const term = io.terminal;
      if (!term) throw new CliError('console needs a terminal (standard input and output)');
      const ws = await openVmiStream(cluster, input.name, 'console', {
        timeoutMs: input.timeoutMs,
        ...(io.signal ? { signal: io.signal } : {}),
        onWaiting: (why) => io.stderr(`virtctl console: waiting for VirtualMachineInstance ${cluster.namespace}/${input.name} to run (${why})\n`),
      });
      io.stderr(`Successfully connected to ${input.name} console. The escape sequence is ^]\n`);
      const code = await runConsoleSession(ws, term, io.signal);
      io.stderr('\n');
      return code;
    },
  };
}

export function consoleCommand(connect?: ClusterCommandSpec<ConsoleInput>['connect']): CliCommand {
  const s = { ...spec(), ...(connect ? { connect } : {}) };
  return { name: 'console', summary: 'connect to the serial console of a VMI (escape: Ctrl+])', run: (args, io) => runClusterCommand(s, args, io) };
}
