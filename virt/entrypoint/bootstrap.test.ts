import { jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonLogger } from '../logger/logger.js';
import { connectKubeApi, exitFatal, parseFlags, stopOnSignals, usageError } from './bootstrap.js';

class Exited extends Error {
  constructor(readonly code: number | undefined) {
    super(`exit ${code}`);
  }
}

const USAGE = 'usage: prog [--name N]\n';

describe('entrypoint bootstrap', () => {
  let stderr: string[];
  let stdout: string[];
  beforeEach(() => {
    stderr = [];
    stdout = [];
    jest.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Exited(code === undefined || code === null ? undefined : Number(code));
    });
    jest.spyOn(process.stderr, 'write').mockImplementation((s) => (stderr.push(String(s)), true));
    jest.spyOn(process.stdout, 'write').mockImplementation((s) => (stdout.push(String(s)), true));
  });
  afterEach(() => jest.restoreAllMocks());

  it('parses the declared flags, keeping their defaults', () => {
    const v = parseFlags('prog', USAGE, { name: { type: 'string' }, level: { type: 'string', default: 'info' } }, ['--name', 'x']);
    expect(v).toEqual({ name: 'x', level: 'info' });
  });

  it('an unknown flag: the message and the usage on stderr, exit 2', () => {
    expect(() => parseFlags('prog', USAGE, { name: { type: 'string' } }, ['--nmae', 'x'])).toThrow(new Exited(2));
    expect(stderr.join('')).toMatch(/^prog: Unknown option '--nmae'.*\n\nusage: prog/s);
  });

  it('--help and -h print the usage and exit 0, though no entrypoint declares them', () => {
    for (const flag of ['--help', '-h']) {
      expect(() => parseFlags('prog', USAGE, { name: { type: 'string' } }, [flag])).toThrow(new Exited(0));
    }
    expect(stdout).toEqual([USAGE, USAGE]);
  });

  it('usageError: one line, the usage only when given', () => {
    expect(() => usageError('prog', '--name is required')).toThrow(new Exited(2));
    expect(() => usageError('prog', '--name is required', USAGE)).toThrow(new Exited(2));
    expect(stderr).toEqual(['prog: --name is required\n', `prog: --name is required\n\n${USAGE}`]);
  });

  it('an unreadable kubeconfig is a usage error naming the file, not a stack trace', () => {
    expect(() => connectKubeApi('prog', '/nonexistent/kubeconfig', 'prog/test')).toThrow(new Exited(2));
    expect(stderr.join('')).toMatch(/^prog: .*\/nonexistent\/kubeconfig.*\n$/);
  });

  it('a readable kubeconfig gives a client', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bootstrap-'));
    try {
      const file = join(dir, 'config');
      writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: { server: https://10.0.0.1:6443 }\nusers:\n- name: u\n  user: { token: t }\ncontexts:\n- name: x\n  context: { cluster: c, user: u }\ncurrent-context: x\n');
      expect(connectKubeApi('prog', file, 'prog/test')).toBeDefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stopOnSignals: the callback, then the signal aborts (with the usual AbortError reason)', () => {
    const seen: string[] = [];
    const signal = stopOnSignals((sig) => seen.push(`${sig} aborted=${signal.aborted}`));
    process.emit('SIGTERM');
    expect(seen).toEqual(['SIGTERM aborted=false']);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).name).toBe('AbortError');
    process.emit('SIGINT');
  });

  it('exitFatal: one JSON line with the error and its cause, exit 1', () => {
    const lines: string[] = [];
    const log = jsonLogger({ component: 'prog' }, { write: (l) => lines.push(l) });
    expect(() => exitFatal(log, new Error('watch failed', { cause: 'ECONNRESET' }))).toThrow(new Exited(1));
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'error', msg: 'fatal', cause: 'ECONNRESET' });
  });
});
