import { splitFieldPath } from './field-path-segments.js';

describe('splitFieldPath', () => {
  it('reads dotted names and list indexes', () => {
    expect(splitFieldPath('spec.template.spec.domain.devices.disks[0].disk.bus')).toEqual(['spec', 'template', 'spec', 'domain', 'devices', 'disks', 0, 'disk', 'bus']);
  });

  it('keeps a bracketed map key whole, dots and slashes included', () => {
    expect(splitFieldPath('metadata.annotations[hooks.kubevirt.io/hookSidecars]')).toEqual(['metadata', 'annotations', 'hooks.kubevirt.io/hookSidecars']);
  });

  it('reads consecutive brackets and a bracket followed by a name', () => {
    expect(splitFieldPath('spec.networks[1].multus')).toEqual(['spec', 'networks', 1, 'multus']);
    expect(splitFieldPath('a[0][2].b[x.y]')).toEqual(['a', 0, 2, 'b', 'x.y']);
  });

  it('keeps a "]" inside a bracketed key', () => {
    expect(splitFieldPath('metadata.labels[we]ird].x')).toEqual(['metadata', 'labels', 'we]ird', 'x']);
  });

  it('reads a single top-level name', () => {
    expect(splitFieldPath('apiVersion')).toEqual(['apiVersion']);
  });
});
