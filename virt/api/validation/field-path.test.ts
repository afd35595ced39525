import { joinKey, joinPath, parsePath } from './field-path.js';

describe('field paths', () => {
  it('join struct fields with dots, indexes and map keys in brackets', () => {
    expect(joinPath(joinPath(joinPath('spec', 'volumes'), 0), 'name')).toBe('spec.volumes[0].name');
    expect(joinKey('metadata.labels', 'kubevirt.io/vm')).toBe('metadata.labels[kubevirt.io/vm]');
    expect(joinPath('', 'spec')).toBe('spec');
  });

  it('bracket a field name that is empty or would misparse', () => {
    expect(joinPath('', '')).toBe('[]');
    expect(joinPath('spec', 'a.b')).toBe('spec[a.b]');
  });

  it('read dotted names and list indexes', () => {
    expect(parsePath('spec.template.spec.domain.devices.disks[0].disk.bus')).toEqual(['spec', 'template', 'spec', 'domain', 'devices', 'disks', 0, 'disk', 'bus']);
  });

  it('keep a bracketed map key whole, dots and slashes included', () => {
    expect(parsePath('metadata.annotations[hooks.kubevirt.io/hookSidecars]')).toEqual(['metadata', 'annotations', 'hooks.kubevirt.io/hookSidecars']);
  });

  it('read consecutive brackets and a bracket followed by a name', () => {
    expect(parsePath('spec.networks[1].multus')).toEqual(['spec', 'networks', 1, 'multus']);
    expect(parsePath('a[0][2].b[x.y]')).toEqual(['a', 0, 2, 'b', 'x.y']);
  });

  it('keep a "]" inside a bracketed key', () => {
    expect(parsePath('metadata.labels[we]ird].x')).toEqual(['metadata', 'labels', 'we]ird', 'x']);
  });

  it('round-trip what joinPath and joinKey write', () => {
    expect(parsePath(joinKey(joinPath('spec', 'nodeSelector'), 'kubernetes.io/hostname'))).toEqual(['spec', 'nodeSelector', 'kubernetes.io/hostname']);
    expect(parsePath(joinPath('spec', 'a.b'))).toEqual(['spec', 'a.b']);
  });
});
