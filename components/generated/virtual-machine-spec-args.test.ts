// The committed argument interfaces are what virt/api generates today (`npm run generate` rewrites them).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATED_ARGS_FILE, renderComponentArgs } from '../../virt/api/generate/component-args.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('components/generated/virtual-machine-spec-args.ts is up to date with virt/api (run npm run generate)', () => {
  expect(readFileSync(join(repoRoot, GENERATED_ARGS_FILE), 'utf8')).toBe(renderComponentArgs());
});

test('the interfaces use no unions but T | undefined, so Pulumi can infer a schema from them', () => {
  const text = renderComponentArgs();
  // Every property type is written as pulumi.Input<...> of a name, a primitive, an array or a map.
  for (const line of text.split('\n').filter((l) => /^\s+\w+\??: /.test(l))) {
    expect(line).toMatch(/^\s+\w+\??: pulumi\.Input<.*>;$/);
    expect(line.replace(/\|\s*undefined/g, '')).not.toContain('|');
  }
  expect(text).not.toMatch(/\brunning\??:/);
  expect(text).toMatch(/export interface VirtualMachineSpecArgs \{/);
  expect(text).toMatch(/ \* @default virtio\n/);
});
