import { ConversionError } from './errors.js';
import { configureInterfaces, derivedMac } from './interfaces.js';
import { renderAll } from './xml.js';

const spec = (ifaces: { name: string; masquerade?: Record<string, never>; bridge?: Record<string, never>; macAddress?: string; model?: 'virtio' | 'e1000' }[]) => ({
  domain: { devices: { interfaces: ifaces } },
  networks: [{ name: 'default', pod: {} }],
});

describe('interface configurator', () => {
  it('puts a masquerade interface behind user-mode NAT when the pod network is not prepared', () => {
    expect(renderAll(configureInterfaces(spec([{ name: 'default', masquerade: {}, macAddress: 'DE-AD-00-00-BE-AF' }]), 'uid-1', { kind: 'user' }))).toBe(
      "<interface type='user'>\n  <mac address='de:ad:00:00:be:af'/>\n  <model type='virtio'/>\n  <alias name='ua-default'/>\n</interface>\n",
    );
  });

  it('attaches the handler-prepared tap for bridge, with its MTU', () => {
    const mac = derivedMac('uid-1', 'default');
    expect(renderAll(configureInterfaces(spec([{ name: 'default', bridge: {}, model: 'e1000' }]), 'uid-1', { kind: 'tap', dev: 'tap0', mtu: 1450 }))).toBe(
      `<interface type='ethernet'>\n  <mac address='${mac}'/>\n  <target dev='tap0' managed='no'/>\n  <model type='e1000'/>\n  <mtu size='1450'/>\n  <alias name='ua-default'/>\n</interface>\n`,
    );
  });

  it('derives a stable, locally administered MAC from the VMI uid', () => {
    expect(derivedMac('uid-1', 'default')).toBe(derivedMac('uid-1', 'default'));
    expect(derivedMac('uid-1', 'default')).not.toBe(derivedMac('uid-2', 'default'));
    expect(derivedMac('uid-1', 'default')).toMatch(/^02(:[0-9a-f]{2}){5}$/);
  });

  it('refuses bridge without a prepared tap and interfaces without a pod network', () => {
    expect(() => configureInterfaces(spec([{ name: 'default', bridge: {} }]), 'u', { kind: 'user' })).toThrow(/interfaces\[0\].bridge/);
    expect(() => configureInterfaces({ domain: { devices: { interfaces: [{ name: 'other', masquerade: {} }] } }, networks: [] }, 'u', { kind: 'user' })).toThrow(ConversionError);
  });
});
