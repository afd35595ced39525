// The real compiled binary, as a pipeline runs it: exit status, stdin, and no stack traces.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../dispatch.js';
import { REPO_ROOT, runCompiledVirtctl } from '../testing/compiled-virtctl.js';

const GOOD_VMI = `apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata:
  name: ok
spec:
  domain:
    devices:
      disks:
      - name: root
        disk: {bus: virtio}
    memory: {guest: 128Mi}
  volumes:
  - name: root
    containerDisk: {image: example.org/guest:1}
`;
const BAD_VMI = GOOD_VMI.replace('name: ok', 'name: bad').replace('bus: virtio', 'bus: ide');

describe('virtctl (compiled) validate', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'virtctl-bin-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 for an accepted document read from stdin', () => {
    const r = runCompiledVirtctl(['validate', '-f', '-'], { stdin: GOOD_VMI });
    expect(r).toEqual({ status: 0, stdout: '1 document: 1 accepted, 0 rejected\n', stderr: '' });
  });

  it('exits 1 for a rejected document, with the problem on its line', () => {
    const r = runCompiledVirtctl(['validate', '-f', '-'], { stdin: `---\n${BAD_VMI}` });
    expect(r.status).toBe(1);
    expect(r.stdout.split('\n')[0]).toMatch(/^<stdin>:11: VirtualMachineInstance\/bad: spec\.domain\.devices\.disks\[0\]\.disk\.bus: unsupported value "ide"/);
    expect(r.stderr).toBe('');
  });

  it('exits 1 for malformed YAML and for an unreadable path, without a stack trace', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'kind: [\n');
    for (const args of [['-f', bad], ['-f', join(dir, 'missing.yaml')]]) {
      const r = runCompiledVirtctl(['validate', ...args]);
      expect(r.status).toBe(1);
      expect(r.stdout + r.stderr).not.toMatch(/\n\s+at |Error:/);
    }
  });

  it('exits 2 for a usage error and for an unknown command, on stderr', () => {
    const usage = runCompiledVirtctl(['validate', '--nope']);
    expect(usage.status).toBe(2);
    expect(usage.stderr.split('\n')[0]).toBe("virtctl validate: unknown option '--nope'");
    const unknown = runCompiledVirtctl(['launch']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.split('\n')[0]).toBe(`virtctl: unknown command 'launch'; available: ${COMMANDS.map((c) => c.name).join(', ')}`);
  });

  it('prints JSON for machines', () => {
    const r = runCompiledVirtctl(['validate', '-o', 'json', '-f', '-'], { stdin: BAD_VMI });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).summary).toMatchObject({ documents: 1, rejected: 1, passed: false });
  });

  it('stops quietly when the reader closes the pipe early (virtctl validate ... | head -1)', () => {
    const file = join(dir, 'many.yaml');
    writeFileSync(file, Array.from({ length: 3000 }, () => BAD_VMI).join('---\n'));
    const errFile = join(dir, 'stderr.txt');
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${join(REPO_ROOT, 'bin', 'virtctl.js')}" validate -f "${file}" 2>"${errFile}" | head -n 1`], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout).toMatch(/^.*many\.yaml:10: VirtualMachineInstance\/bad: /);
    expect(readFileSync(errFile, 'utf8')).toBe('');
  });
});
