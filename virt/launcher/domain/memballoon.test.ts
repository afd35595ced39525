import { configureMemBalloon } from './memballoon.js';
import { render } from './xml.js';

describe('memballoon configurator', () => {
  it('reports memory statistics by default', () => {
    expect(render(configureMemBalloon({ devices: {} }))).toBe("<memballoon model='virtio'>\n  <stats period='10'/>\n</memballoon>\n");
  });

  it('turns libvirt\'s implicit balloon off when disabled', () => {
    expect(render(configureMemBalloon({ devices: { autoattachMemBalloon: false } }))).toBe("<memballoon model='none'/>\n");
  });
});
