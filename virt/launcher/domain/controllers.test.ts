import { configureControllers } from './controllers.js';
import { renderAll } from './xml.js';

describe('controllers configurator', () => {
  it('disables USB and adds virtio-serial', () => {
    expect(renderAll(configureControllers())).toBe("<controller type='usb' index='0' model='none'/>\n<controller type='virtio-serial' index='0'/>\n");
  });
});
