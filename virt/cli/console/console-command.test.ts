import { PassThrough } from 'node:stream';
import type { WebSocket } from 'ws';
import { until } from '../../kube/testing/poll.js';
import type { CliTerminal } from '../command.js';
import { fakeApiserver, status, type FakeApiserver } from '../testing/fake-apiserver.js';
import { memoryIo } from '../testing/memory-io.js';
import { consoleCommand } from './console-command.js';
import { ESCAPE_BYTE, splitAtEscape } from './escape.js';

const PATH = '/apis/subresources.kubevirt.io/v1/namespaces/testns/virtualmachineinstances/vm1/console';

function terminal(tty = true) {
  const input = new PassThrough() as PassThrough & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  const modes: boolean[] = [];
  if (tty) {
    input.isTTY = true;
    input.setRawMode = (raw: boolean) => modes.push(raw);
  }
  const output = new PassThrough();
  let shown = '';
  output.on('data', (d: Buffer) => (shown += d.toString()));
  const term: CliTerminal = { input, output };
  return { term, input, modes, shown: () => shown };
}

describe('escape', () => {
  test('Ctrl+] ends the session; what was typed before it in the same read still goes', () => {
    expect(splitAtEscape(Buffer.from('ls\r'))).toEqual({ send: Buffer.from('ls\r'), escaped: false });
    expect(splitAtEscape(Buffer.from([0x61, ESCAPE_BYTE, 0x62]))).toEqual({ send: Buffer.from('a'), escaped: true });
    expect(splitAtEscape(Buffer.from([ESCAPE_BYTE]))).toEqual({ send: Buffer.alloc(0), escaped: true });
  });
});

describe('virtctl console', () => {
  let api: FakeApiserver;
  beforeEach(async () => {
    api = await fakeApiserver();
  });
  afterEach(async () => {
    await api.close();
  });

  test('a raw terminal bridged to the console, binary frames both ways, ended by Ctrl+] with exit 0', async () => {
    let guest: WebSocket | undefined;
    const typed: string[] = [];
    api.stream = (path, protocols) => {
      expect(path).toBe(PATH);
      expect(protocols).toEqual(['plain.kubevirt.io']);
      return (ws) => {
        guest = ws;
        ws.send(Buffer.from('virtstack-guest: booted\r\n'));
        ws.on('message', (d: Buffer, binary: boolean) => {
          expect(binary).toBe(true);
          typed.push(d.toString());
          ws.send(d);
        });
      };
    };
    const t = terminal();
    const io = Object.assign(memoryIo(), { terminal: t.term });
    const done = consoleCommand().run(['vm1', '--kubeconfig', api.kubeconfig], io);
    await until('the boot marker', () => t.shown().includes('virtstack-guest: booted'));
    expect(t.modes).toEqual([true]);
    t.input.write('echo hi\r');
    await until('the echo', () => t.shown().includes('echo hi\r'));
    t.input.write(Buffer.from([ESCAPE_BYTE]));
    expect(await done).toBe(0);
    expect(typed).toEqual(['echo hi\r']);
    expect(t.modes).toEqual([true, false]);
    expect(io.err).toBe('Successfully connected to vm1 console. The escape sequence is ^]\n\n');
    await until('the server side to close', () => guest?.readyState === guest?.CLOSED);
  });

  test('the console closing from the far side ends the session with exit 0', async () => {
    api.stream = () => (ws) => ws.close(1000);
    const t = terminal(false);
    expect(await consoleCommand().run(['vm1', '--kubeconfig', api.kubeconfig], Object.assign(memoryIo(), { terminal: t.term }))).toBe(0);
  });

  test('waits while the VMI is not running, up to --timeout', async () => {
    let attempts = 0;
    api.stream = () => (++attempts < 3 ? status(409, 'Conflict', 'VMI is not running') : (ws) => ws.close(1000));
    const t = terminal(false);
    const io = Object.assign(memoryIo(), { terminal: t.term });
    expect(await consoleCommand().run(['vm1', '--kubeconfig', api.kubeconfig, '--timeout', '1'], io)).toBe(0);
    expect(attempts).toBe(3);
    expect(io.err.split('\n')[0]).toBe('virtctl console: waiting for VirtualMachineInstance testns/vm1 to run (VMI is not running)');
  });

  test('a 400 for a VMI that does not run yet is waited out; for a running VMI it is final', async () => {
    let attempts = 0;
    let phase = 'Scheduled';
    api.respond = (r) => (r.method === 'GET' && r.path.endsWith('/virtualmachineinstances/vm1') ? { code: 200, body: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'vm1' }, status: { phase } } } : undefined);
    api.stream = () => (++attempts < 2 ? status(400, 'BadRequest', 'VMI is not running') : (ws) => ws.close(1000));
    const io = Object.assign(memoryIo(), { terminal: terminal(false).term });
    expect(await consoleCommand().run(['vm1', '--kubeconfig', api.kubeconfig], io)).toBe(0);
    expect(attempts).toBe(2);
    phase = 'Running';
    api.stream = () => status(400, 'BadRequest', 'something else is wrong');
    const io2 = Object.assign(memoryIo(), { terminal: terminal(false).term });
    expect(await consoleCommand().run(['vm1', '--kubeconfig', api.kubeconfig], io2)).toBe(1);
    expect(io2.err).toBe('virtctl console: something else is wrong\n');
  });

  test('forbidden is one line at once, whatever the timeout', async () => {
    const msg = 'virtualmachineinstances.subresources.kubevirt.io "vm1" is forbidden: User "viewer" cannot get resource "virtualmachineinstances/console" in API group "subresources.kubevirt.io" in the namespace "testns"';
    api.stream = () => status(403, 'Forbidden', msg);
    const io = Object.assign(memoryIo(), { terminal: terminal().term });
    expect(await consoleCommand().run(['vm1', '--kubeconfig', api.kubeconfig], io)).toBe(1);
    expect(io.err).toBe(`virtctl console: ${msg}\n`);
  });

  test('--timeout 0 does not wait: a missing VMI is one line', async () => {
    api.stream = () => status(404, 'NotFound', 'virtualmachineinstance.kubevirt.io "vm1" not found');
    const io = Object.assign(memoryIo(), { terminal: terminal().term });
    expect(await consoleCommand().run(['vm1', '--kubeconfig', api.kubeconfig, '--timeout=0'], io)).toBe(1);
    expect(io.err).toBe('virtctl console: virtualmachineinstance.kubevirt.io "vm1" not found\n');
  });

  test.each([[[]], [['vm1', '--timeout', 'x']]])('%j is a usage error', async (args) => {
    const io = memoryIo();
    expect(await consoleCommand().run(args, io)).toBe(2);
    expect(io.err).toContain('usage: virtctl console NAME');
  });

  test('--help names the escape', async () => {
    const io = memoryIo();
    expect(await consoleCommand().run(['--help'], io)).toBe(0);
    expect(io.out).toContain('Ctrl+] (^])');
  });
});
