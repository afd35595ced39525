import { configureRng } from './rng.js';
import { renderAll } from './xml.js';

describe('rng configurator', () => {
  it('adds a virtio rng backed by /dev/urandom when asked', () => {
    expect(renderAll(configureRng({ devices: { rng: {} } }))).toBe(
      "<rng model='virtio'>\n  <backend model='random'>/dev/urandom</backend>\n  <alias name='ua-rng'/>\n</rng>\n",
    );
  });

  it('adds nothing otherwise', () => {
    expect(configureRng({ devices: {} })).toEqual([]);
  });
});
