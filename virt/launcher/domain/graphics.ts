// autoattachGraphicsDevice (default true) -> VGA plus a VNC server on a unix socket (virtctl vnc goes
// through the launcher, never a TCP port on the node).
import type { DomainSpec } from '../../api/index.js';
import { el, type XmlNode } from './xml.js';

export function configureGraphics(domain: DomainSpec, vncSocket: string): XmlNode[] {
  if (domain.devices.autoattachGraphicsDevice === false) return [];
  return [
    el('graphics', { type: 'vnc' }, el('listen', { type: 'socket', socket: vncSocket })),
    el('video', {}, el('model', { type: 'vga', heads: 1, vram: 16384 })),
  ];
}
