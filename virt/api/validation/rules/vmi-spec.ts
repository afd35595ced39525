// Cross-field rules of a VMI spec that a schema cannot say: references by name, uniqueness, and
// combinations virtstack cannot run. Runs only on a structurally valid spec.
import type { VirtualMachineInstanceSpec } from '../../kubevirt/vmi-spec.js';
import type { FieldError } from '../field-error.js';
import { joinKey, joinPath } from '../field-path.js';
import { formatBytes, parseQuantity } from '../quantity.js';
import { LAUNCHER_Q35_MACHINE_TYPES, LAUNCHER_QEMU_VERSION, launcherProvidesMachineType } from '../../kubevirt/machine-types.js';

/** Each entry whose key an earlier entry already has, with the index of that earlier entry. */
function repeats<T, K>(items: readonly T[], key: (t: T) => K | undefined): Array<{ index: number; first: number; key: K }> {
  const seen = new Map<K, number>();
  const out: Array<{ index: number; first: number; key: K }> = [];
  items.forEach((it, index) => {
    const k = key(it);
    if (k === undefined) return;
    const first = seen.get(k);
    if (first !== undefined) out.push({ index, first, key: k });
    else seen.set(k, index);
  });
  return out;
}

function duplicates(items: readonly { name: string }[], path: string, what: string, errors: FieldError[]): void {
  for (const { index, first, key } of repeats(items, (it) => it.name)) {
    errors.push({ path: joinPath(joinPath(path, index), 'name'), reason: 'Duplicate', value: key, message: `duplicate ${what} name "${key}" (also at ${path}[${first}])`, hint: `give each ${what} a unique name` });
  }
}

/** An entry (disk, interface) must name an entry of another list (volume, network). */
function missingTarget(name: string, at: string, what: string, target: string, targets: readonly string[], hint: string): FieldError {
  return {
    path: joinPath(at, 'name'), reason: 'NotFound', value: name,
    allowed: targets.length ? targets.map((n) => `"${n}"`).join(', ') : `the name of a ${target}`,
    message: `${what} "${name}" has no ${target} of the same name`, hint,
  };
}

/** A versioned q35 type (e.g. a RHEL one, pc-q35-rhel9.4.0) that the nodes' QEMU lacks would fail only at start. */
function checkMachineType(type: string | undefined, path: string, errors: FieldError[]): void {
  if (launcherProvidesMachineType(type)) return;
  const provided = ['q35', ...LAUNCHER_Q35_MACHINE_TYPES];
  errors.push({
    path, reason: 'NotSupportedValue', value: type, allowed: provided.map((t) => `"${t}"`).join(', '),
    message: `"${type}" is not a machine type the nodes' QEMU (${LAUNCHER_QEMU_VERSION}) provides; it provides q35 (an alias of ${LAUNCHER_Q35_MACHINE_TYPES[0]}) and ${LAUNCHER_Q35_MACHINE_TYPES.join(', ')}`,
    hint: 'use q35 (or leave the type out) unless the guest needs an older machine version',
  });
}

export function checkVmiSpec(spec: VirtualMachineInstanceSpec, path: string, errors: FieldError[]): void {
  checkMachineType(spec.domain.machine?.type, joinPath(joinPath(joinPath(path, 'domain'), 'machine'), 'type'), errors);
  const devicesPath = joinPath(joinPath(path, 'domain'), 'devices');
  const disksPath = joinPath(devicesPath, 'disks');
  const ifacesPath = joinPath(devicesPath, 'interfaces');
  const volumesPath = joinPath(path, 'volumes');
  const networksPath = joinPath(path, 'networks');
  const disks = spec.domain.devices.disks ?? [];
  const volumes = spec.volumes ?? [];
  const ifaces = spec.domain.devices.interfaces ?? [];
  const networks = spec.networks ?? [];

  duplicates(disks, disksPath, 'disk', errors);
  duplicates(volumes, volumesPath, 'volume', errors);
  duplicates(ifaces, ifacesPath, 'interface', errors);
  duplicates(networks, networksPath, 'network', errors);

  const volumeNames = volumes.map((v) => v.name);
  disks.forEach((d, i) => {
    if (!volumeNames.includes(d.name)) {
      const hint = `add a volume named "${d.name}" to ${volumesPath}${volumeNames.length ? `, or rename the disk to one of ${volumeNames.join(', ')}` : ''}`;
      errors.push(missingTarget(d.name, joinPath(disksPath, i), 'disk', 'volume', volumeNames, hint));
    }
    if (d.cdrom?.readonly === false) {
      errors.push({ path: joinPath(joinPath(joinPath(disksPath, i), 'cdrom'), 'readonly'), reason: 'NotSupportedValue', value: false, allowed: 'true', message: 'a CD-ROM cannot be writable', hint: 'remove readonly, or attach the volume as a disk' });
    }
  });

  for (const { index, first, key } of repeats(disks, (d) => d.bootOrder)) {
    errors.push({ path: joinPath(joinPath(disksPath, index), 'bootOrder'), reason: 'Duplicate', value: key, message: `bootOrder ${key} is also used by ${disksPath}[${first}]`, hint: 'give each disk its own bootOrder' });
  }

  const networkNames = networks.map((n) => n.name);
  ifaces.forEach((iface, i) => {
    if (!networkNames.includes(iface.name)) {
      errors.push(missingTarget(iface.name, joinPath(ifacesPath, i), 'interface', 'network', networkNames, `add {name: ${iface.name}, pod: {}} to ${networksPath}`));
    }
    if (iface.ports?.length && iface.bridge) {
      errors.push({ path: joinPath(joinPath(ifacesPath, i), 'ports'), reason: 'Conflict', message: 'ports are forwarded only with masquerade; a bridge interface gets all of the pod\'s traffic', hint: 'remove ports, or use masquerade: {}' });
    }
    if (iface.bridge && spec.evictionStrategy === 'LiveMigrate') {
      errors.push({ path: joinPath(joinPath(ifacesPath, i), 'bridge'), reason: 'Conflict', message: 'a bridge interface on the pod network cannot be live-migrated, but evictionStrategy is LiveMigrate', hint: 'use masquerade: {} or set evictionStrategy: None' });
    }
  });
  networks.forEach((n, i) => {
    if (!ifaces.some((f) => f.name === n.name) && ifaces.length > 0) {
      errors.push({ path: joinPath(joinPath(networksPath, i), 'name'), reason: 'NotFound', value: n.name, message: `network "${n.name}" is not used by any interface`, hint: `add an interface named "${n.name}" or remove the network` });
    }
  });
  if (ifaces.length === 0 && networks.length > 0 && spec.domain.devices.autoattachPodInterface !== false) {
    // upstream adds the default interface only when both lists are empty; a network alone is a half-written spec.
    errors.push({ path: ifacesPath, reason: 'Required', message: `networks are given but no interface uses them`, hint: `add {name: ${networks[0]?.name}, masquerade: {}} to ${ifacesPath}` });
  }

  checkResources(spec, path, errors);
  checkFirmware(spec, path, errors);

  volumes.forEach((v, i) => {
    if (v.emptyDisk && (parseQuantity(v.emptyDisk.capacity) ?? 0) <= 0) {
      errors.push({ path: joinPath(joinPath(joinPath(volumesPath, i), 'emptyDisk'), 'capacity'), reason: 'Invalid', value: v.emptyDisk.capacity, allowed: 'a positive size', message: 'must be larger than zero', hint: 'e.g. capacity: 2Gi' });
    }
    const ci = v.cloudInitNoCloud;
    if (ci && [ci.networkData, ci.networkDataBase64, ci.networkDataSecretRef].filter((x) => x !== undefined).length > 1) {
      errors.push({ path: joinPath(joinPath(volumesPath, i), 'cloudInitNoCloud'), reason: 'Conflict', message: 'networkData, networkDataBase64 and networkDataSecretRef exclude each other', hint: 'keep one of them' });
    }
    if (ci?.userDataBase64 !== undefined && !/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(ci.userDataBase64)) {
      errors.push({ path: joinPath(joinPath(joinPath(volumesPath, i), 'cloudInitNoCloud'), 'userDataBase64'), reason: 'Invalid', message: 'is not valid base64', hint: 'encode with `base64 -w0`, or use userData for plain text' });
    }
  });
}

function checkResources(spec: VirtualMachineInstanceSpec, path: string, errors: FieldError[]): void {
  const domainPath = joinPath(path, 'domain');
  const res = spec.domain.resources;
  const resPath = joinPath(domainPath, 'resources');
  for (const r of ['cpu', 'memory'] as const) {
    const req = res?.requests?.[r];
    const lim = res?.limits?.[r];
    if (req === undefined || lim === undefined) continue;
    const rq = parseQuantity(req);
    const lq = parseQuantity(lim);
    if (rq !== undefined && lq !== undefined && rq > lq) {
      errors.push({ path: joinKey(joinPath(resPath, 'requests'), r), reason: 'Invalid', value: req, allowed: `at most the limit ${String(lim)}`, message: `request ${String(req)} is larger than the limit ${String(lim)}`, hint: `lower the request or raise ${resPath}.limits.${r}` });
    }
  }
  const guest = spec.domain.memory?.guest;
  const memLimit = res?.limits?.memory;
  if (guest !== undefined && memLimit !== undefined) {
    const g = parseQuantity(guest);
    const l = parseQuantity(memLimit);
    if (g !== undefined && l !== undefined && g > l) {
      errors.push({ path: joinPath(joinPath(domainPath, 'memory'), 'guest'), reason: 'Invalid', value: guest, allowed: `at most ${String(memLimit)}`, message: `guest memory ${String(guest)} is more than the memory limit ${String(memLimit)}`, hint: 'the launcher pod would be killed for using more than its limit' });
    }
  }
  if (guest !== undefined) {
    const g = parseQuantity(guest) ?? 0;
    if (g < 2 ** 20 * 1) {
      errors.push({ path: joinPath(joinPath(domainPath, 'memory'), 'guest'), reason: 'Invalid', value: guest, allowed: 'at least 1Mi', message: `guest memory ${String(guest)} (${formatBytes(g)} bytes) is too small to boot anything`, hint: 'use e.g. 128Mi' });
    }
  }
}

function checkFirmware(spec: VirtualMachineInstanceSpec, path: string, errors: FieldError[]): void {
  const fw = spec.domain.firmware;
  if (!fw) return;
  const fwPath = joinPath(joinPath(path, 'domain'), 'firmware');
  const efi = fw.bootloader?.efi;
  if (fw.bootloader?.bios?.useSerial && spec.domain.devices.autoattachSerialConsole === false) {
    errors.push({ path: joinPath(joinPath(joinPath(fwPath, 'bootloader'), 'bios'), 'useSerial'), reason: 'Conflict', message: 'BIOS output to serial needs the serial console, but autoattachSerialConsole is false', hint: 'remove useSerial or enable the serial console' });
  }
  const kb = fw.kernelBoot;
  if (kb) {
    const kbPath = joinPath(fwPath, 'kernelBoot');
    if (!kb.container) {
      errors.push({ path: joinPath(kbPath, 'container'), reason: 'Required', message: 'kernel boot needs a container image holding the kernel', hint: 'add container: {image: ..., kernelPath: /boot/vmlinuz}' });
    } else if (!kb.container.kernelPath && !kb.container.initrdPath) {
      errors.push({ path: joinPath(kbPath, 'container'), reason: 'Required', message: 'needs kernelPath, initrdPath or both', hint: 'add kernelPath: /boot/vmlinuz' });
    }
    if (kb.kernelArgs !== undefined && !kb.container?.kernelPath) {
      errors.push({ path: joinPath(kbPath, 'kernelArgs'), reason: 'Conflict', message: 'kernel arguments need a kernel: container.kernelPath is not set', hint: 'set container.kernelPath, or remove kernelArgs' });
    }
    if (efi) {
      errors.push({ path: kbPath, reason: 'Conflict', message: 'virtstack boots a kernel directly only with BIOS firmware, but bootloader.efi is set', hint: 'remove bootloader.efi' });
    }
  }
}
