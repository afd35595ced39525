import { configureGraphics } from './graphics.js';
import { renderAll } from './xml.js';

describe('graphics configurator', () => {
  it('adds VGA and VNC on a unix socket by default', () => {
    expect(renderAll(configureGraphics({ devices: {} }, '/run/vm/vnc'))).toBe(
      "<graphics type='vnc'>\n  <listen type='socket' socket='/run/vm/vnc'/>\n</graphics>\n<video>\n  <model type='vga' heads='1' vram='16384'/>\n</video>\n",
    );
  });

  it('adds nothing when autoattachGraphicsDevice is false', () => {
    expect(configureGraphics({ devices: { autoattachGraphicsDevice: false } }, '/x')).toEqual([]);
  });
});
