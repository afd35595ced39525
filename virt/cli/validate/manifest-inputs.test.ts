import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveInputs, STDIN_NAME } from './manifest-inputs.js';

const noStdin = async (): Promise<string> => {
  throw new Error('stdin must not be read');
};

describe('resolveInputs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'virtctl-inputs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (rel: string, text = 'kind: X\n') => {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };

  it('walks a directory recursively, in sorted order, taking only .yaml, .yml and .json', async () => {
    write('b.yaml');
    write('a/z.yml');
    write('a/deeper/c.JSON');
    write('README.md');
    write('notes.txt');
    const { inputs, unreadable } = await resolveInputs([dir], noStdin);
    expect(unreadable).toEqual([]);
    expect(inputs.map((i) => i.file)).toEqual([join(dir, 'a/deeper/c.JSON'), join(dir, 'a/z.yml'), join(dir, 'b.yaml')]);
  });

  it('skips hidden files and directories such as .git and .github, and node_modules', async () => {
    write('.github/workflows/ci.yaml');
    write('.hidden.yaml');
    write('node_modules/pkg/package.json');
    write('vm.yaml');
    const { inputs } = await resolveInputs([dir], noStdin);
    expect(inputs.map((i) => i.file)).toEqual([join(dir, 'vm.yaml')]);
  });

  it('reads a file named explicitly whatever its extension', async () => {
    write('manifest.txt', 'kind: Y\n');
    const { inputs } = await resolveInputs([join(dir, 'manifest.txt')], noStdin);
    expect(inputs).toEqual([{ file: join(dir, 'manifest.txt'), text: 'kind: Y\n' }]);
  });

  it('names a path that does not exist and goes on with the others', async () => {
    write('vm.yaml');
    const missing = join(dir, 'missing.yaml');
    const { inputs, unreadable } = await resolveInputs([missing, join(dir, 'vm.yaml')], noStdin);
    expect(unreadable).toEqual([{ file: missing, message: 'no such file or directory' }]);
    expect(inputs).toHaveLength(1);
  });

  it('reports a directory without manifests rather than passing it', async () => {
    write('README.md');
    const { inputs, unreadable } = await resolveInputs([dir], noStdin);
    expect(inputs).toEqual([]);
    expect(unreadable).toEqual([{ file: dir, message: 'no manifests found: the directory has no *.yaml, *.yml, *.json files' }]);
  });

  it('reports a dangling link named like a manifest, and ignores other dangling links', async () => {
    write('ok.yaml');
    symlinkSync(join(dir, 'gone.yaml'), join(dir, 'link.yaml'));
    symlinkSync(join(dir, 'gone.txt'), join(dir, 'link.txt'));
    const { inputs, unreadable } = await resolveInputs([dir], noStdin);
    expect(inputs.map((i) => i.file)).toEqual([join(dir, 'ok.yaml')]);
    expect(unreadable).toEqual([{ file: join(dir, 'link.yaml'), message: 'no such file or directory' }]);
  });

  it('follows a symlinked directory once, even when it loops', async () => {
    write('sub/vm.yaml');
    symlinkSync(dir, join(dir, 'sub', 'loop'));
    const { inputs, unreadable } = await resolveInputs([dir], noStdin);
    expect(unreadable).toEqual([]);
    expect(inputs.map((i) => i.file)).toEqual([join(dir, 'sub/vm.yaml')]);
  });

  it('reads standard input for -, once', async () => {
    let reads = 0;
    const stdin = async () => {
      reads++;
      return 'kind: Z\n';
    };
    const { inputs, unreadable } = await resolveInputs(['-', '-'], stdin);
    expect(reads).toBe(1);
    expect(inputs).toEqual([{ file: STDIN_NAME, text: 'kind: Z\n' }]);
    expect(unreadable).toEqual([{ file: STDIN_NAME, message: 'standard input was already read by an earlier -f -; name it once' }]);
  });
});
