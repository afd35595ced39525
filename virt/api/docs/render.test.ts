import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderReference } from './render.js';

describe('API reference', () => {
  const text = renderReference();
  it('matches the committed virt/api/docs/reference.md (run `npm run generate` after changing virt/api)', () => {
    expect(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'reference.md'), 'utf8')).toBe(text);
  });
  it('lists supported fields with their descriptions and the rejected upstream ones by path', () => {
    expect(text).toContain('| `spec.runStrategy` | `Always` \\| `Halted` \\| `Manual` \\| `RerunOnFailure` \\| `Once` |');
    expect(text).toMatch(/\| `spec\.template\.spec\.domain\.devices` \| .*`gpus`.* \| KubeVirt \|/);
    expect(text).toMatch(/\| `spec\.source` \| .*`s3`.* \| CDI \|/);
    expect(text).toContain('| `spec.template.spec.volumes[]` | rule | exactly one of containerDisk, persistentVolumeClaim, dataVolume, emptyDisk, cloudInitNoCloud |');
  });
  it('lists the virtstack extensions (fields upstream does not have) per kind', () => {
    const vmi = text.slice(text.indexOf('## VirtualMachineInstance '), text.indexOf('\n## ', text.indexOf('## VirtualMachineInstance ') + 1));
    expect(vmi).toContain('virtstack extensions (fields upstream does not have):\n\n- `status.accelerator`\n');
  });
});
