// autoattachSerialConsole (default true) -> a pty serial port on ttyS0, logged to a file, which
// virDomainOpenConsole attaches to for `virtctl console`.
import type { DomainSpec } from '../../api/index.js';
import { el, type XmlNode } from './xml.js';

export function configureSerialConsole(domain: DomainSpec, logFile: string): XmlNode[] {
  if (domain.devices.autoattachSerialConsole === false) return [];
  return [
    el('serial', { type: 'pty' }, el('log', { file: logFile, append: 'on' }), el('target', { type: 'isa-serial', port: 0 }, el('model', { name: 'isa-serial' })), el('alias', { name: 'serial0' })),
    el('console', { type: 'pty' }, el('target', { type: 'serial', port: 0 })),
  ];
}
