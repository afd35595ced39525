import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../../kube/testing/poll.js';
import { fakeApiserver, status, type FakeApiserver } from '../testing/fake-apiserver.js';
import { memoryIo } from '../testing/memory-io.js';
import { vncCommand } from './vnc-command.js';

describe('virtctl vnc', () => {
  let api: FakeApiserver;
  beforeEach(async () => {
    api = await fakeApiserver();
  });
  afterEach(async () => {
    await api.close();
  });

  test('--proxy-only prints {"port":N} and relays every viewer to a VNC stream, the greeting included', async () => {
    let opened = 0;
    api.stream = (path) => {
      expect(path).toBe('/apis/subresources.kubevirt.io/v1/namespaces/testns/virtualmachineinstances/vm1/vnc');
      return (ws) => {
        opened++;
        ws.send(Buffer.from('RFB 003.008\n'));
        ws.on('message', (d: Buffer) => ws.send(Buffer.from(`got ${d.toString()}`)));
      };
    };
    const stop = new AbortController();
    const io = Object.assign(memoryIo(), { signal: stop.signal });
    const done = vncCommand().run(['vm1', '--kubeconfig', api.kubeconfig, '--proxy-only'], io);
    await until('the port line', () => io.out.endsWith('\n'));
    const { port } = JSON.parse(io.out) as { port: number };
    expect(io.out).toBe(`{"port":${port}}\n`);
    for (const round of [1, 2]) {
      const s = connect(port, '127.0.0.1');
      let seen = '';
      s.on('data', (d: Buffer) => (seen += d.toString()));
      await until(`the greeting of viewer ${round}`, () => seen === 'RFB 003.008\n');
      s.write('RFB 003.008\n');
      await until('the answer', () => seen === 'RFB 003.008\ngot RFB 003.008\n');
      s.destroy();
    }
    expect(opened).toBe(2);
    stop.abort();
    expect(await done).toBe(0);
  });

  test('a VMI without VNC fails before a port is printed, with the server\'s one line', async () => {
    api.stream = () => status(409, 'Conflict', 'VirtualMachineInstance testns/vm1 has no graphics device (spec.domain.devices.autoattachGraphicsDevice is false)');
    const io = memoryIo();
    expect(await vncCommand().run(['vm1', '--kubeconfig', api.kubeconfig, '--proxy-only'], io)).toBe(1);
    expect(io.out).toBe('');
    expect(io.err).toBe('virtctl vnc: VirtualMachineInstance testns/vm1 has no graphics device (spec.domain.devices.autoattachGraphicsDevice is false)\n');
  });

  test('--port picks the local port; a bad one is a usage error', async () => {
    api.stream = () => (ws) => ws.send(Buffer.from('RFB 003.008\n'));
    const probe = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const stop = new AbortController();
    const io = Object.assign(memoryIo(), { signal: stop.signal });
    const done = vncCommand().run(['vm1', '--kubeconfig', api.kubeconfig, '--proxy-only', '--port', String(probe)], io);
    await until('the port line', () => io.out.endsWith('\n'));
    expect(io.out).toBe(`{"port":${probe}}\n`);
    stop.abort();
    expect(await done).toBe(0);
    const bad = memoryIo();
    expect(await vncCommand().run(['vm1', '--port', '70000'], bad)).toBe(2);
    expect(bad.err.split('\n')[0]).toBe('virtctl vnc: --port must be a port number (1-65535), not "70000"');
  });

  test('without --proxy-only it starts remote-viewer on the proxy and ends with it', async () => {
    api.stream = () => (ws) => ws.send(Buffer.from('RFB 003.008\n'));
    // A stand-in viewer: connects to the vnc:// address it is given, keeps the greeting, exits 0.
    const dir = mkdtempSync(join(tmpdir(), 'viewer-'));
    const seen = join(dir, 'seen');
    writeFileSync(
      join(dir, 'remote-viewer'),
      `#!/usr/bin/env python3
import socket, sys
host, port = sys.argv[1][len('vnc://'):].rsplit(':', 1)
s = socket.create_connection((host, int(port)))
data = b''
while len(data) < 12:
    data += s.recv(64)
open(${JSON.stringify(seen)}, 'wb').write(data + b' ' + sys.argv[1].encode())
`,
    );
    chmodSync(join(dir, 'remote-viewer'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${dir}:${path}`;
    try {
      const io = memoryIo();
      expect(await vncCommand().run(['vm1', '--kubeconfig', api.kubeconfig], io)).toBe(0);
      expect(readFileSync(seen, 'utf8')).toMatch(/^RFB 003\.008\n vnc:\/\/127\.0\.0\.1:\d+$/);
      expect(io.err).toMatch(/^virtctl vnc: proxy on 127\.0\.0\.1:\d+, starting remote-viewer\n$/);
    } finally {
      process.env.PATH = path;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('without --proxy-only and no viewer on PATH, it says what to install or to use --proxy-only', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const io = memoryIo();
      expect(await vncCommand().run(['vm1', '--kubeconfig', api.kubeconfig], io)).toBe(1);
      expect(io.err).toBe('virtctl vnc: could not find remote-viewer or vncviewer in $PATH; install one, or run with --proxy-only and point a VNC viewer at the printed port\n');
    } finally {
      process.env.PATH = path;
    }
  });
});
