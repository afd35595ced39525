import { ConversionError } from './errors.js';
import { configureFirmware } from './firmware.js';
import { render } from './xml.js';

describe('firmware configurator', () => {
  it('boots a kernel directly with its initrd and command line', () => {
    const { os } = configureFirmware(
      { firmware: { kernelBoot: { kernelArgs: 'console=ttyS0', container: { image: 'k', kernelPath: '/boot/vmlinuz', initrdPath: '/boot/initrd' } } }, devices: {} },
      { kernelBoot: { kernel: '/run/vm/kernel-boot/vmlinuz', initrd: '/run/vm/kernel-boot/initrd' } },
    );
    expect(render(os)).toBe(
      "<os>\n  <type arch='x86_64' machine='q35'>hvm</type>\n  <kernel>/run/vm/kernel-boot/vmlinuz</kernel>\n  <initrd>/run/vm/kernel-boot/initrd</initrd>\n" +
        "  <cmdline>console=ttyS0</cmdline>\n  <smbios mode='sysinfo'/>\n</os>\n",
    );
  });

  it('uses OVMF for efi, with secure boot on unless disabled', () => {
    const { os } = configureFirmware(
      { machine: { type: 'pc-q35-7.2' }, firmware: { bootloader: { efi: { secureBoot: false } } }, devices: {} },
      { ovmf: { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', varsTemplate: '/usr/share/OVMF/OVMF_VARS_4M.fd', vars: '/run/vm/nvram.fd' } },
    );
    expect(render(os)).toBe(
      "<os>\n  <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n  <loader readonly='yes' secure='no' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>\n" +
        "  <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/run/vm/nvram.fd</nvram>\n  <smbios mode='sysinfo'/>\n</os>\n",
    );
  });

  it('refuses efi on a node without OVMF, naming the field', () => {
    expect(() => configureFirmware({ firmware: { bootloader: { efi: {} } }, devices: {} }, {})).toThrow(ConversionError);
    expect(() => configureFirmware({ firmware: { bootloader: { efi: {} } }, devices: {} }, {})).toThrow(/bootloader.efi/);
  });

  it('shows BIOS output on serial and puts the SMBIOS serial and uuid in sysinfo', () => {
    const { os, sysinfo } = configureFirmware({ firmware: { bootloader: { bios: { useSerial: true } }, serial: 'abc-1', uuid: '5b5c0c3e-0000-4000-8000-000000000001' }, devices: {} }, {});
    expect(render(os)).toContain("  <bios useserial='yes'/>\n");
    expect(render(sysinfo!)).toBe(
      "<sysinfo type='smbios'>\n  <system>\n    <entry name='manufacturer'>virtstack</entry>\n    <entry name='product'>None</entry>\n" +
        "    <entry name='serial'>abc-1</entry>\n    <entry name='uuid'>5b5c0c3e-0000-4000-8000-000000000001</entry>\n  </system>\n</sysinfo>\n",
    );
  });
});
