import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProcessByArg, SiblingNotFound, waitForProcessByArg } from './sibling-process.js';

describe('finding a sibling container\'s process by its marker', () => {
  let proc: string;
  const add = (pid: string, argv: string[] | undefined) => {
    mkdirSync(join(proc, pid), { recursive: true });
    if (argv) writeFileSync(join(proc, pid, 'cmdline'), argv.map((a) => `${a}\0`).join(''));
  };
  beforeEach(() => {
    proc = mkdtempSync(join(tmpdir(), 'proc-'));
    add('1', ['/pause']);
    add('7', ['/var/run/virtstack/hold/virtstack-hold', 'virtstack-container-disk=rootdisk2']);
    add('12', ['/var/run/virtstack/hold/virtstack-hold', 'virtstack-container-disk=rootdisk']);
    add('13', undefined); // a process whose cmdline cannot be read (gone, or a kernel thread's view)
    mkdirSync(join(proc, 'self'));
    writeFileSync(join(proc, 'uptime'), '1 1');
  });
  afterEach(() => rmSync(proc, { recursive: true, force: true }));

  it('matches one whole argument, not a prefix of another volume\'s', () => {
    expect(findProcessByArg('virtstack-container-disk=rootdisk', proc)).toBe(12);
    expect(findProcessByArg('virtstack-container-disk=rootdisk2', proc)).toBe(7);
    expect(findProcessByArg('virtstack-container-disk=root', proc)).toBeUndefined();
    expect(findProcessByArg('virtstack-kernel-boot', proc)).toBeUndefined();
  });

  it('waits for a sibling that starts late, and gives up at the deadline naming the marker', async () => {
    const late = waitForProcessByArg('virtstack-kernel-boot', { timeoutMs: 5000, everyMs: 5, procRoot: proc });
    setTimeout(() => add('30', ['/hold', 'virtstack-kernel-boot']), 30);
    await expect(late).resolves.toBe(30);
    const err = await waitForProcessByArg('virtstack-container-disk=gone', { timeoutMs: 40, everyMs: 5, procRoot: proc }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SiblingNotFound);
    expect((err as Error).message).toMatch(/^no process with the argument "virtstack-container-disk=gone" in the pod after \d+ ms$/);
  });
});
