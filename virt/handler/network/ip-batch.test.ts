import { NetworkSetupError } from './errors.js';
import { batchWord, IpBatch } from './ip-batch.js';
import type { NetnsExec } from './netns-exec.js';

function recorder(fail?: { line: number }) {
  const runs: { argv: readonly string[]; input: string | undefined }[] = [];
  const exec: NetnsExec = {
    netns: '/proc/7/ns/net',
    probe: async () => ({ code: 0, stdout: '', stderr: '' }),
    run: async (step, argv, hint, input) => {
      runs.push({ argv, input });
      if (fail) throw new NetworkSetupError(step, 'ip exited with 1', hint, { stderr: `RTNETLINK answers: File exists\nCommand failed -:${fail.line}\n` });
      return '';
    },
  };
  return { exec, runs };
}

describe('IpBatch', () => {
  it('runs every queued change in one `ip -batch -`, in order, and nothing when empty', async () => {
    const r = recorder();
    const b = new IpBatch(r.exec);
    await b.flush();
    expect(r.runs).toEqual([]);
    b.add('tap', ['tuntap', 'add', 'dev', 'tap0', 'mode', 'tap'], 'h');
    b.add('record', ['link', 'set', 'dev', 'tap0', 'alias', 'virtstack-net/1 {"b":"masquerade"}'], 'h');
    expect(b.size).toBe(2);
    await b.flush();
    expect(r.runs).toEqual([{ argv: ['ip', '-batch', '-'], input: `tuntap add dev tap0 mode tap\nlink set dev tap0 alias 'virtstack-net/1 {"b":"masquerade"}'\n` }]);
    expect(b.size).toBe(0);
  });

  it('names the step of the line ip reports as failed', async () => {
    const b = new IpBatch(recorder({ line: 2 }).exec);
    b.add('tap', ['tuntap', 'add', 'dev', 'tap0', 'mode', 'tap'], 'tap hint');
    b.add('tap-address', ['addr', 'add', '10.0.2.1/24', 'dev', 'tap0'], 'address hint');
    await expect(b.flush()).rejects.toMatchObject({ step: 'tap-address', hint: 'address hint', details: { command: 'ip addr add 10.0.2.1/24 dev tap0' } });
  });

  it('refuses an argument ip -batch cannot carry, and quotes one with blanks', () => {
    const b = new IpBatch(recorder().exec);
    for (const bad of ['', "it's", 'a#b', 'a\nb']) expect(() => b.add('record', ['link', 'set', 'dev', 'tap0', 'alias', bad], 'h')).toThrow(NetworkSetupError);
    expect(batchWord('tap0')).toBe('tap0');
    expect(batchWord('a b')).toBe("'a b'");
    expect(batchWord('"x"')).toBe(`'"x"'`);
  });
});
