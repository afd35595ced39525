// The VMI a VM runs (upstream SetupVMIFromVM): the template's labels, annotations and spec, the VM's name and
// namespace, a controller owner reference to the VM (so deleting the VM garbage-collects it), the VM
// generation and the hash of the template spec it came from (restart-required.ts), and a firmware UUID derived from the VM's name so the guest sees the same machine
// on every start.
import { createHash } from 'node:crypto';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/index.js';
import { apiVersionOf, RESOURCES } from '../../kube/resources.js';
import { LABELS } from '../../protocol/launcher-pod.js';
import { TEMPLATE_SPEC_HASH_ANNOTATION, templateSpecHash } from './restart-required.js';
import { VM_GENERATION_ANNOTATION } from './vm-status.js';

/** upstream's namespace for the legacy firmware UUID (uuid v5 of the VM name). */
const FIRMWARE_UUID_NAMESPACE = '6a1a24a1-4061-4607-8bf4-a3963d0c5895';

/** RFC 4122 version-5 UUID of `name` in `namespace`. */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const b = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function firmwareUuidOf(vmName: string): string {
  return uuidV5(FIRMWARE_UUID_NAMESPACE, vmName);
}

export function vmiFromVm(vm: VirtualMachine): VirtualMachineInstance {
  const name = vm.metadata.name ?? '';
  const template = vm.spec.template;
  const spec = structuredClone(template.spec);
  if (!spec.domain.firmware?.uuid) spec.domain.firmware = { ...spec.domain.firmware, uuid: firmwareUuidOf(name) };
  const meta = template.metadata ?? {};
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: {
      name,
      ...(vm.metadata.namespace ? { namespace: vm.metadata.namespace } : {}),
      labels: { ...(meta.labels ?? {}), [LABELS.vmName]: name },
      annotations: { ...(meta.annotations ?? {}), [VM_GENERATION_ANNOTATION]: String(vm.metadata.generation ?? 0), [TEMPLATE_SPEC_HASH_ANNOTATION]: templateSpecHash(vm) },
      ownerReferences: [{
        apiVersion: apiVersionOf(RESOURCES.virtualMachines),
        kind: RESOURCES.virtualMachines.kind,
        name,
        uid: vm.metadata.uid ?? '',
        controller: true,
        blockOwnerDeletion: true,
      }],
    },
    spec,
  };
}
