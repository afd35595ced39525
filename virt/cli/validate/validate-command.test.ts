import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryIo } from '../testing/memory-io.js';
import { parseValidateArgs, runValidate, VALIDATE_USAGE } from './validate-command.js';

const VM_WITH_TWO_ERRORS = `# a VM with an unsupported bus and a typo
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: web
spec:
  runStrategy: Always
  template:
    spec:
      domain:
        devices:
          disks:
          - name: root
            disk:
              bus: ide
        memory:
          guest: 128Mi
        cpu:
          corse: 2
      volumes:
      - name: root
        containerDisk:
          image: example.org/guest:1
`;
const CONFIG_MAP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  a: b
`;
const GOOD_DV = `apiVersion: cdi.kubevirt.io/v1beta1
kind: DataVolume
metadata:
  name: disk
spec:
  source:
    http:
      url: https://example.org/disk.qcow2
  storage:
    resources:
      requests:
        storage: 1Gi
`;
const DV_WITHOUT_SOURCE = `apiVersion: cdi.kubevirt.io/v1beta1
kind: DataVolume
metadata:
  name: nosource
spec:
  storage:
    resources:
      requests:
        storage: 1Gi
`;

describe('virtctl validate', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'virtctl-validate-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (rel: string, text: string): string => {
    const p = join(dir, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, text);
    return p;
  };

  it('prints FILE:LINE: KIND/NAME: PATH: message (hint) per problem, a note per foreign kind, and a summary', async () => {
    const file = write('all.yaml', [VM_WITH_TWO_ERRORS, CONFIG_MAP, '', GOOD_DV, DV_WITHOUT_SOURCE].join('---\n'));
    const io = memoryIo();
    expect(await runValidate(['-f', file], io)).toBe(1);
    const lines = io.out.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe(`${file}:15: VirtualMachine/web: spec.template.spec.domain.devices.disks[0].disk.bus: unsupported value "ide": supported values are "virtio", "sata"`);
    expect(lines[1]).toBe(`${file}:19: VirtualMachine/web: spec.template.spec.domain.cpu.corse: unknown field "corse"; did you mean cores? (rename it to cores)`);
    expect(lines[2]).toBe(`${file}:25: ConfigMap/settings: note: ConfigMap (v1) is not a virtstack kind; not checked`);
    // A missing field is placed on its parent's line: spec: of the second DataVolume.
    expect(lines[3]).toMatch(new RegExp(`^${file}:50: DataVolume/nosource: spec\\.source: required field is missing`));
    expect(lines[4]).toBe('4 documents: 1 accepted, 2 rejected, 1 not checked (not a virtstack kind)');
    expect(io.err).toBe('');
  });

  it('exits 0 when every document is accepted or of a foreign kind', async () => {
    const io = memoryIo();
    expect(await runValidate(['-f', write('ok.yaml', `${GOOD_DV}---\n${CONFIG_MAP}`)], io)).toBe(0);
    expect(io.out).toBe(`${join(dir, 'ok.yaml')}:14: ConfigMap/settings: note: ConfigMap (v1) is not a virtstack kind; not checked\n2 documents: 1 accepted, 0 rejected, 1 not checked (not a virtstack kind)\n`);
  });

  it('checks every manifest under a directory, recursively, and repeats -f', async () => {
    write('apps/web/dv.yaml', GOOD_DV);
    write('apps/db/dv.yml', GOOD_DV);
    write('apps/db/cm.json', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j' } }));
    const extra = write('elsewhere/vm.yaml', VM_WITH_TWO_ERRORS);
    const io = memoryIo();
    expect(await runValidate(['-f', join(dir, 'apps'), '--filename', extra], io)).toBe(1);
    expect(io.out.trimEnd().split('\n').at(-1)).toBe('4 documents: 2 accepted, 1 rejected, 1 not checked (not a virtstack kind)');
    expect(io.out).toContain(`${join(dir, 'apps/db/cm.json')}:1: ConfigMap/j: note:`);
  });

  it('reads standard input for -f - and names it <stdin>', async () => {
    const io = memoryIo(DV_WITHOUT_SOURCE);
    expect(await runValidate(['-f', '-'], io)).toBe(1);
    expect(io.out).toMatch(/^<stdin>:5: DataVolume\/nosource: spec\.source: required field is missing/);
  });

  it('reports malformed YAML with FILE:LINE and the parser message, checks the other documents, and fails', async () => {
    const file = write('bad.yaml', `${GOOD_DV}---\nkind: VirtualMachine\nspec: [1, 2\nmetadata: {}\n`);
    const io = memoryIo();
    expect(await runValidate(['-f', file], io)).toBe(1);
    const lines = io.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${file}:\\d+: invalid YAML: .+ \\(column \\d+; (in the document starting at line 14; )?nothing in this document was checked\\)$`));
    expect(lines[1]).toBe('2 documents: 1 accepted, 0 rejected, 1 malformed (invalid YAML)');
    expect(io.out).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('names an unreadable path, still checks the rest, and fails', async () => {
    const missing = join(dir, 'nope.yaml');
    const io = memoryIo();
    expect(await runValidate(['-f', missing, '-f', write('ok.yaml', GOOD_DV)], io)).toBe(1);
    expect(io.out).toBe(`${missing}: cannot read: no such file or directory\n1 document: 1 accepted, 0 rejected; 1 path could not be read\n`);
  });

  it('skips empty documents and an empty file', async () => {
    const io = memoryIo();
    expect(await runValidate(['-f', write('empty.yaml', '---\n# nothing\n---\n'), '-f', write('dv.yaml', `---\n${GOOD_DV}---\n`)], io)).toBe(0);
    expect(io.out).toBe('1 document: 1 accepted, 0 rejected\n');
  });

  it('rejects a document that is not a map, at the document line', async () => {
    const file = write('list.yaml', '# a list is not an object\n- a\n- b\n');
    const io = memoryIo();
    expect(await runValidate(['-f', file], io)).toBe(1);
    expect(io.out.split('\n')[0]).toBe(`${file}:2: <no kind>/<no name>: (document): must be a Kubernetes object (a map with apiVersion and kind), got list a list`);
  });

  describe('--output json', () => {
    it('prints one JSON object: documents with file, line, index, identity, outcome, errors with lines; and the summary', async () => {
      const file = write('all.yaml', [VM_WITH_TWO_ERRORS, CONFIG_MAP, GOOD_DV].join('---\n'));
      const io = memoryIo();
      expect(await runValidate(['-f', file, '-o', 'json'], io)).toBe(1);
      const out = JSON.parse(io.out);
      expect(out.documents).toHaveLength(3);
      expect(out.documents[0]).toEqual({
        file, line: 2, index: 0, apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name: 'web', namespace: null, outcome: 'rejected',
        errors: [
          { path: 'spec.template.spec.domain.devices.disks[0].disk.bus', line: 15, reason: 'NotSupportedValue', message: 'unsupported value "ide": supported values are "virtio", "sata"', value: 'ide', allowed: '"virtio", "sata"' },
          { path: 'spec.template.spec.domain.cpu.corse', line: 19, reason: 'UnknownField', message: 'unknown field "corse"; did you mean cores?', value: 2, allowed: expect.stringContaining('cores'), hint: 'rename it to cores' },
        ],
      });
      expect(out.documents[1]).toMatchObject({ index: 1, kind: 'ConfigMap', outcome: 'ignored', note: 'ConfigMap (v1) is not a virtstack kind; not checked', errors: [] });
      expect(out.documents[2]).toMatchObject({ index: 2, kind: 'DataVolume', name: 'disk', outcome: 'accepted', errors: [] });
      expect(out.unreadable).toEqual([]);
      expect(out.summary).toEqual({
        documents: 3, accepted: 1, rejected: 1, ignored: 1, malformed: 0, unreadable: 0, passed: false,
        text: '3 documents: 1 accepted, 1 rejected, 1 not checked (not a virtstack kind)',
      });
    });

    it('carries malformed documents and unreadable paths too, and -o json is the same as --output json', async () => {
      const file = write('bad.yaml', 'a: [\n');
      const io = memoryIo();
      expect(await runValidate(['--output', 'json', '-f', file, '-f', join(dir, 'nope')], io)).toBe(1);
      const out = JSON.parse(io.out);
      expect(out.documents[0]).toMatchObject({ file, index: 0, outcome: 'malformed', kind: null, errors: [{ path: '(document)', reason: 'MalformedYAML', line: expect.any(Number), column: expect.any(Number) }] });
      expect(out.unreadable).toEqual([{ file: join(dir, 'nope'), message: 'no such file or directory' }]);
      expect(out.summary).toMatchObject({ malformed: 1, unreadable: 1, passed: false });
    });
  });

  describe('command line', () => {
    it('prints help with exit 0', async () => {
      const io = memoryIo();
      expect(await runValidate(['--help'], io)).toBe(0);
      expect(io.out).toBe(VALIDATE_USAGE);
    });

    it.each([
      [[], 'no input: name a file, a directory or - (standard input) with -f'],
      [['-f'], '-f needs a path: a file, a directory, or - for standard input'],
      [['-f', 'x', '-o'], '-o needs a format: text or json'],
      [['-f', 'x', '-o', 'yaml'], "unknown output format 'yaml': use -o text or -o json"],
      [['--bogus'], "unknown option '--bogus'"],
      [['vm.yaml'], "unexpected argument 'vm.yaml': name manifests with -f, e.g. -f vm.yaml"],
      [['-f', ''], '-f needs a path, got an empty string'],
    ])('%j is a usage error: %s', async (args, message) => {
      expect(parseValidateArgs(args)).toEqual({ error: message });
      const io = memoryIo();
      expect(await runValidate(args, io)).toBe(2);
      expect(io.err).toBe(`virtctl validate: ${message}\n\n${VALIDATE_USAGE}`);
      expect(io.out).toBe('');
    });

    it('accepts -f - mixed with paths and --output=json', () => {
      expect(parseValidateArgs(['-f', '-', '-f', 'a.yaml', '--output=json'])).toEqual({ paths: ['-', 'a.yaml'], format: 'json' });
    });
  });
});
