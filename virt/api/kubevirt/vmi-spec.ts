// kubevirt.io/v1 VirtualMachineInstanceSpec: the supported subset (DESIGN.md, "Supported spec"). Every
// level lists the fields upstream KubeVirt has that virtstack does not, so they are rejected by name.
import type { Static } from '@sinclair/typebox';
import { arr, bool, int, marker, obj, oneOf, opt, quantity, str, map } from '../schema/builders.js';
import { affinity, localObjectReference, resourceList, toleration } from '../schema/k8s.js';

export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const name = (what: string) => str(`Name of the ${what}; a DNS label, unique in its list.`, { pattern: DNS_LABEL, maxLength: 63 });

export const diskBus = oneOf('Bus the disk is attached to the guest by. virtio is fastest; sata for guests without virtio drivers.', ['virtio', 'sata'] as const, ['scsi', 'usb']);

export const disk = obj(
  'A disk device of the guest, backed by the volume of the same name.',
  {
    name: name('disk; must equal the name of a volume'),
    disk: opt(obj('Attach the volume as a hard disk.', {
      bus: opt(diskBus),
      readonly: opt(bool('Expose the disk read-only to the guest.')),
    }, { upstream: ['pciAddress'] })),
    cdrom: opt(obj('Attach the volume as a CD-ROM (always read-only here).', {
      bus: opt(oneOf('Bus of the CD-ROM drive. Only sata: QEMU has no virtio CD-ROM.', ['sata'] as const)),
      readonly: opt(bool('Must be true or omitted: CD-ROMs are read-only.')),
    }, { upstream: ['tray'] })),
    bootOrder: opt(int('Boot priority; 1 boots first. Disks without bootOrder are not offered to the firmware for boot when any disk has one.', { minimum: 1 })),
    serial: opt(str('Serial number the guest sees for this disk (up to 20 characters, letters, digits, - and _).', { pattern: '^[A-Za-z0-9_.+-]+$', maxLength: 20 })),
  },
  {
    atMostOne: ['disk', 'cdrom'],
    upstream: ['lun', 'dedicatedIOThread', 'cache', 'io', 'tag', 'blockSize', 'shareable', 'errorPolicy', 'changedBlockTracking'],
  },
);

export const port = obj('A port forwarded from the pod to the guest (masquerade only).', {
  name: opt(str('Name of the port, for reference.')),
  protocol: opt(oneOf('TCP or UDP. Defaults to TCP.', ['TCP', 'UDP'] as const)),
  port: int('Port number inside the guest.', { minimum: 1, maximum: 65535 }),
});

export const iface = obj(
  'A network interface of the guest, connected to the network of the same name.',
  {
    name: name('interface; must equal the name of a network'),
    masquerade: opt(marker('Connect through NAT behind the pod IP: the guest gets a private address by DHCP and reaches out as the pod. Live-migratable. The default on the pod network.')),
    bridge: opt(marker('Connect the guest directly to the pod network, taking over the pod IP. Not live-migratable.')),
    model: opt(oneOf('NIC model shown to the guest. Defaults to virtio.', ['virtio', 'e1000', 'e1000e', 'rtl8139'] as const, ['igb', 'ne2k_pci', 'pcnet'])),
    macAddress: opt(str('MAC address of the interface, e.g. "de:ad:00:00:be:af"; generated when omitted.', { pattern: '^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$' })),
    ports: opt(arr('Ports to forward from the pod to the guest; all ports when omitted (masquerade only).', port)),
  },
  {
    atMostOne: ['masquerade', 'bridge'],
    upstream: ['slirp', 'sriov', 'macvtap', 'passt', 'passtBinding', 'binding', 'portRanges', 'bootOrder', 'pciAddress', 'dhcpOptions', 'tag', 'acpiIndex', 'state'],
  },
);

export const devices = obj(
  'Devices attached to the guest.',
  {
    disks: opt(arr('Disks of the guest. A volume without a disk gets one by default (bus sata, as upstream on amd64).', disk)),
    interfaces: opt(arr('Network interfaces of the guest. Omitted together with networks: one masquerade interface on the pod network.', iface)),
    rng: opt(marker('Attach a virtio random-number generator fed from the host.')),
    autoattachSerialConsole: opt(bool('Attach a serial console (ttyS0) that `virtctl console` connects to. Defaults to true.')),
    autoattachPodInterface: opt(bool('Add the default pod-network interface when no interfaces or networks are given. Defaults to true.')),
    autoattachGraphicsDevice: opt(bool('Attach a VGA device and VNC display. Defaults to true.')),
    autoattachMemBalloon: opt(bool('Attach a virtio memory balloon (used for memory statistics). Defaults to true.')),
  },
  {
    upstream: [
      'useVirtioTransitional', 'disableHotplug', 'watchdog', 'inputs', 'logSerialConsole', 'autoattachInputDevice',
      'autoattachVSOCK', 'blockMultiQueue', 'networkInterfaceMultiqueue', 'gpus', 'downwardMetrics', 'panicDevices',
      'filesystems', 'hostDevices', 'clientPassthrough', 'sound', 'tpm', 'video',
    ],
  },
);

export const kernelBoot = obj(
  'Boot a kernel (and initrd) directly instead of through a bootloader on a disk.',
  {
    kernelArgs: opt(str('Kernel command line, e.g. "console=ttyS0". Needs a kernel.')),
    container: opt(obj('A container image holding the kernel and initrd files.', {
      image: str('Image reference holding the kernel/initrd.', { minLength: 1 }),
      imagePullPolicy: opt(oneOf('When to pull the image.', ['Always', 'IfNotPresent', 'Never'] as const)),
      imagePullSecret: opt(str('Name of a Secret with credentials for the image registry.')),
      kernelPath: opt(str('Absolute path of the kernel inside the image.', { pattern: '^/' })),
      initrdPath: opt(str('Absolute path of the initrd inside the image.', { pattern: '^/' })),
    })),
  },
);

export const firmware = obj(
  'Firmware of the guest.',
  {
    bootloader: opt(obj('The firmware that boots the guest: bios (SeaBIOS, the default) or efi (OVMF).', {
      bios: opt(obj('Legacy BIOS (SeaBIOS).', { useSerial: opt(bool('Show BIOS output on the serial console.')) })),
      efi: opt(obj('UEFI (OVMF); needs OVMF on the node.', {
        secureBoot: opt(bool('Enable Secure Boot (with SMM, as upstream does). Defaults to true; needs the Secure Boot OVMF build on the node.')),
        persistent: opt(bool('Keep EFI variables across reboots.')),
      })),
    }, { atMostOne: ['bios', 'efi'] })),
    kernelBoot: opt(kernelBoot),
    uuid: opt(str('SMBIOS UUID of the guest; generated when omitted.')),
    serial: opt(str('SMBIOS serial number of the guest; generated when omitted.')),
  },
  { upstream: ['acpi'] },
);

export const cpu = obj(
  'The virtual CPU topology. vCPUs = sockets × cores × threads.',
  {
    cores: opt(int('Cores per socket. Defaults to 1.', { minimum: 1, format: 'int32' })),
    sockets: opt(int('Sockets. Defaults to 1, or to the CPU limit/request when no topology is given.', { minimum: 1, format: 'int32' })),
    threads: opt(int('Threads per core. Defaults to 1.', { minimum: 1, format: 'int32' })),
    model: opt(str('CPU model: host-model (the default), host-passthrough, or a named QEMU model. Ignored under TCG emulation, which uses qemu64-compatible max.')),
  },
  { upstream: ['maxSockets', 'features', 'dedicatedCpuPlacement', 'numa', 'isolateEmulatorThread', 'realtime'] },
);

export const memory = obj(
  'Guest memory.',
  { guest: opt(quantity('Memory the guest sees, e.g. "1Gi". Defaults to the memory request (or limit).')) },
  { upstream: ['hugepages', 'maxGuest', 'reservedOverhead'] },
);

export const domain = obj(
  'The virtual hardware of the guest.',
  {
    cpu: opt(cpu),
    memory: opt(memory),
    resources: opt(obj('Compute resources of the launcher pod that runs the VM.', {
      requests: opt(resourceList('Resources reserved for the VM')),
      limits: opt(resourceList('Upper bounds for the VM')),
    }, { upstream: ['overcommitGuestOverhead'] })),
    machine: opt(obj('The machine type.', {
      type: opt(str('QEMU machine type: q35 (the default) or a versioned pc-q35-<version> that the launcher\'s QEMU provides (pc-q35-2.4 to pc-q35-7.2). Empty means the default.', { pattern: '^$|^q35$|^pc-q35-.+$' })),
    })),
    firmware: opt(firmware),
    devices,
  },
  { upstream: ['clock', 'features', 'ioThreadsPolicy', 'ioThreads', 'chassis', 'launchSecurity', 'rebootPolicy'] },
);

export const volume = obj(
  'A volume: where a disk\'s data comes from.',
  {
    name: name('volume; a disk of the same name attaches it'),
    containerDisk: opt(obj('An ephemeral disk from a container image (the image holds the disk under /disk). Changes are lost when the VM stops.', {
      image: str('Image reference, e.g. "quay.io/containerdisks/fedora:40".', { minLength: 1 }),
      imagePullPolicy: opt(oneOf('When to pull the image. Defaults to Always for ":latest" or untagged images, else IfNotPresent.', ['Always', 'IfNotPresent', 'Never'] as const)),
      imagePullSecret: opt(str('Name of a Secret with credentials for the image registry.')),
      path: opt(str('Path of the disk image inside the container; found under /disk when omitted.', { pattern: '^/' })),
    })),
    persistentVolumeClaim: opt(obj('An existing PersistentVolumeClaim in the VM\'s namespace.', {
      claimName: str('Name of the PersistentVolumeClaim.', { minLength: 1 }),
      readOnly: opt(bool('Attach the claim read-only.')),
    }, { upstream: ['hotpluggable'] })),
    dataVolume: opt(obj('A DataVolume in the VM\'s namespace (usually one of the VM\'s dataVolumeTemplates); the VM waits until it is populated.', {
      name: str('Name of the DataVolume.', { minLength: 1 }),
    }, { upstream: ['hotpluggable'] })),
    emptyDisk: opt(obj('A blank, ephemeral disk of the given size, discarded when the VM stops.', {
      capacity: quantity('Size of the disk, e.g. "2Gi".'),
    })),
    cloudInitNoCloud: opt(obj('cloud-init NoCloud data presented to the guest as a "cidata" disk.', {
      userData: opt(str('cloud-init user-data, inline.')),
      userDataBase64: opt(str('cloud-init user-data, base64-encoded.')),
      secretRef: opt(localObjectReference('a Secret whose "userdata" (or "userData") key holds the user-data')),
      networkData: opt(str('cloud-init network-config (version 1 or 2), inline.')),
      networkDataBase64: opt(str('cloud-init network-config, base64-encoded.')),
      networkDataSecretRef: opt(localObjectReference('a Secret whose "networkdata" (or "networkData") key holds the network-config')),
    }, { atMostOne: ['userData', 'userDataBase64', 'secretRef'] })),
  },
  {
    exactlyOne: ['containerDisk', 'persistentVolumeClaim', 'dataVolume', 'emptyDisk', 'cloudInitNoCloud'],
    upstream: ['hostDisk', 'cloudInitConfigDrive', 'sysprep', 'ephemeral', 'configMap', 'secret', 'downwardAPI', 'serviceAccount', 'downwardMetrics', 'memoryDump', 'containerPath'],
  },
);

export const network = obj(
  'A network the guest can connect to; an interface of the same name uses it.',
  { name: name('network'), pod: opt(obj('The pod network (the default network of the launcher pod).', {}, { upstream: ['vmNetworkCIDR', 'vmIPv6NetworkCIDR'] })) },
  { exactlyOne: ['pod'], upstream: ['multus', 'resourceClaim'] },
);

export const evictionStrategy = oneOf(
  'What happens to the VM when its node is drained: LiveMigrate moves it to another node; None lets it stop.',
  ['LiveMigrate', 'None'] as const,
  ['LiveMigrateIfPossible', 'External'],
);

export const vmiSpec = obj(
  'The desired virtual machine instance.',
  {
    domain,
    volumes: opt(arr('Volumes the disks use.', volume)),
    networks: opt(arr('Networks the interfaces connect to. Only the pod network is supported.', network, { maxItems: 1 })),
    nodeSelector: opt(map('Schedule only onto nodes with all of these labels.', str('Label value.'))),
    affinity: opt(affinity),
    tolerations: opt(arr('Taints this VM tolerates.', toleration)),
    evictionStrategy: opt(evictionStrategy),
    terminationGracePeriodSeconds: opt(int('Seconds the guest gets to shut down after an ACPI power-button press before it is forced off. Defaults to 30.', { minimum: 0, format: 'int64' })),
    hostname: opt(str('Hostname of the guest; defaults to the VMI name.', { pattern: DNS_LABEL, maxLength: 63 })),
  },
  {
    upstream: [
      'priorityClassName', 'schedulerName', 'serviceAccountName', 'topologySpreadConstraints', 'startStrategy',
      'livenessProbe', 'readinessProbe', 'subdomain', 'dnsPolicy', 'dnsConfig', 'accessCredentials', 'architecture',
      'resourceClaims', 'utilityVolumes',
    ],
  },
);

export type VirtualMachineInstanceSpec = Static<typeof vmiSpec>;
export type DomainSpec = Static<typeof domain>;
export type Disk = Static<typeof disk>;
export type Interface = Static<typeof iface>;
export type Volume = Static<typeof volume>;
export type Network = Static<typeof network>;
export type Firmware = Static<typeof firmware>;
export type DiskBus = Static<typeof diskBus>;
