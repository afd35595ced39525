// A real container registry for registry-import tests: Debian's docker-registry (the distribution
// project's registry), serving TLS with a test CA on the host's cluster address, its storage in a scratch
// folder, run as a child of the test process and stopped after.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './exec.js';
import { HOST_IP } from './paths.js';
import { repoRoot } from './testing.js';
import type { TestTls } from './test-tls.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, HOST_IP, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export class LocalRegistry {
  private child: ChildProcess | undefined;
  private log = '';
  host = '';

  constructor(private readonly dir: string, private readonly tls: TestTls) {}

  async start(): Promise<void> {
    const deb = spawnSync(join(repoRoot, 'toolchain', 'debian-packages.sh'), ['docker-registry'], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (deb.status !== 0) throw new Error('installing Debian\'s docker-registry failed');
    const port = await freePort();
    this.host = `${HOST_IP}:${port}`;
    mkdirSync(join(this.dir, 'storage'), { recursive: true });
    const config = join(this.dir, 'config.yml');
    writeFileSync(config, [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(this.dir, 'storage')}`,
      'http:',
      `  addr: ${this.host}`,
      '  tls:',
      `    certificate: ${this.tls.certFile}`,
      `    key: ${this.tls.keyFile}`,
      '',
    ].join('\n'));
    const child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (d: Buffer) => {
      this.log = (this.log + d.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await waitFor(`the registry at ${this.host} to answer`, 30_000, () => new Promise<true | undefined>((resolve) => {
      if (child.exitCode !== null) throw new Error(`docker-registry exited ${child.exitCode}: ${this.log}`);
      const req = request(`https://${this.host}/v2/`, { ca: this.tls.caPem, timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200 ? true : undefined);
      });
      req.on('error', () => resolve(undefined));
      req.end();
    }), 200);
  }

  stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  }
}
