// Controllers KubeVirt sets explicitly: no USB controller (nothing to plug into it, and one less device to
// migrate), a virtio-serial controller for channels.
import { el, type XmlNode } from './xml.js';

export function configureControllers(): XmlNode[] {
  return [el('controller', { type: 'usb', index: 0, model: 'none' }), el('controller', { type: 'virtio-serial', index: 0 })];
}
