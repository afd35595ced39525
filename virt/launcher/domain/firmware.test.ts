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

  const ovmf = {
    code: '/usr/share/OVMF/OVMF_CODE_4M.fd',
    varsTemplate: '/usr/share/OVMF/OVMF_VARS_4M.fd',
    secure: { code: '/usr/share/OVMF/OVMF_CODE_4M.secboot.fd', varsTemplate: '/usr/share/OVMF/OVMF_VARS_4M.ms.fd' },
    vars: '/run/vm/nvram.fd',
  };

  it('uses plain OVMF for efi with secure boot disabled', () => {
    const { os } = configureFirmware({ machine: { type: 'pc-q35-7.2' }, firmware: { bootloader: { efi: { secureBoot: false } } }, devices: {} }, { ovmf });
    expect(render(os)).toBe(
      "<os>\n  <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n  <loader readonly='yes' secure='no' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>\n" +
        "  <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/run/vm/nvram.fd</nvram>\n  <smbios mode='sysinfo'/>\n</os>\n",
    );
  });

  it('uses the Secure Boot build with Microsoft-enrolled variables by default', () => {
    const { os } = configureFirmware({ firmware: { bootloader: { efi: {} } }, devices: {} }, { ovmf });
    expect(render(os)).toContain("  <loader readonly='yes' secure='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.secboot.fd</loader>\n  <nvram template='/usr/share/OVMF/OVMF_VARS_4M.ms.fd'>/run/vm/nvram.fd</nvram>\n");
    expect(() => configureFirmware({ firmware: { bootloader: { efi: {} } }, devices: {} }, { ovmf: { ...ovmf, secure: undefined } })).toThrow(/efi.secureBoot: this node has no Secure Boot OVMF build/);
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
