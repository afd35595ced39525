// Answers that depend on what upstream's types (kubevirt.io/api core/v1, CDI's core/v1beta1) really have:
// a field upstream lacks is unknown, never "supported by upstream"; a field upstream has is never unknown.
import { dataVolume, vm, vmi, vmiSpec, withInterface } from '../testing/manifests.js';
import { findServedKind } from '../kinds.js';
import { LAUNCHER_Q35_MACHINE_TYPES } from '../kubevirt/machine-types.js';
import { X_EXTENSION } from '../schema/builders.js';
import type { SchemaNode } from '../schema/schema-node.js';
import { formatFieldError, type FieldError } from './field-error.js';
import { validateDocument } from './validate.js';

function only(doc: unknown): FieldError {
  const { errors } = validateDocument(doc);
  expect(errors).toHaveLength(1);
  return errors[0]!;
}
const size = { requests: { storage: '1Gi' } };

describe('fields upstream does not have are unknown, not "supported upstream"', () => {
  it('resources.claims: a claim asks for VolumeResourceRequirements (requests, limits), in pvc and storage alike', () => {
    for (const key of ['pvc', 'storage'] as const) {
      const e = only(dataVolume({ storage: undefined, [key]: { accessModes: ['ReadWriteOnce'], resources: { ...size, claims: [{ name: 'gpu' }] } } }));
      expect(e).toMatchObject({ path: `spec.${key}.resources.claims`, reason: 'UnknownField', allowed: 'requests, limits' });
      expect(e.message).toBe('unknown field "claims"');
    }
  });

  it('storage.volumeAttributesClassName is not in CDI\'s StorageSpec (too far from any name: the known ones are listed); pvc\'s is Kubernetes\'', () => {
    const e = only(dataVolume({ storage: { resources: size, volumeAttributesClassName: 'fast' } }));
    expect(formatFieldError(e)).toBe('spec.storage.volumeAttributesClassName: unknown field "volumeAttributesClassName" (known fields here: accessModes, resources, storageClassName, volumeMode, volumeName, selector)');
    const pvc = only(dataVolume({ storage: undefined, pvc: { accessModes: ['ReadWriteOnce'], resources: size, volumeAttributesClassName: 'fast' } }));
    expect(pvc).toMatchObject({ path: 'spec.pvc.volumeAttributesClassName', reason: 'UnsupportedField', message: 'supported by Kubernetes, not by virtstack' });
  });

  it('storage.dataSource is CDI\'s (StorageSpec), attributed to CDI', () => {
    expect(only(dataVolume({ storage: { resources: size, dataSource: { kind: 'PersistentVolumeClaim', name: 'x' } } })))
      .toMatchObject({ path: 'spec.storage.dataSource', reason: 'UnsupportedField', message: 'supported by upstream CDI, not by virtstack' });
  });

  it('serviceAccountName, interfaces[].portRanges and networks[].resourceClaim are upstream\'s (kubevirt.io/api v1.9; resourceClaim since 1.6.6)', () => {
    const s = vmiSpec(withInterface({ name: 'default', masquerade: {} }), (x) => {
      (x as Record<string, unknown>).serviceAccountName = 'sa';
      (x.domain.devices.interfaces![0] as Record<string, unknown>).portRanges = [{ start: 80, end: 90 }];
      (x.networks![0] as Record<string, unknown>).resourceClaim = { claimName: 'c', requestName: 'r' };
    });
    const { errors } = validateDocument(vm({}, s));
    expect(errors.map((e) => `${e.path} ${e.reason}`).sort()).toEqual([
      'spec.template.spec.domain.devices.interfaces[0].portRanges UnsupportedField',
      'spec.template.spec.networks[0].resourceClaim UnsupportedField',
      'spec.template.spec.serviceAccountName UnsupportedField',
    ]);
  });
});

describe('status fields as upstream declares them', () => {
  const statusOf = (kind: string) => (findServedKind('kubevirt.io/v1', kind)!.schema as unknown as SchemaNode).properties!.status!.properties!;
  it('observedGeneration is on VirtualMachine status only, not on VirtualMachineInstance status', () => {
    expect(Object.keys(statusOf('VirtualMachine'))).toContain('observedGeneration');
    expect(Object.keys(statusOf('VirtualMachineInstance'))).not.toContain('observedGeneration');
  });
  it('the VMI status extension (accelerator) is marked as virtstack\'s', () => {
    expect(statusOf('VirtualMachineInstance').accelerator![X_EXTENSION]).toBe(true);
  });
});

describe('fields upstream has are not unknown', () => {
  it('dataVolumeTemplates[].status (upstream\'s DataVolumeTemplateDummyStatus, an empty object) is accepted and ignored', () => {
    const doc = vm({ dataVolumeTemplates: [{ metadata: { name: 'rootdisk' }, spec: { source: { blank: {} }, storage: { resources: size } }, status: {} }] });
    const spec = doc.spec as { template: { spec: { volumes: unknown[] } } };
    spec.template.spec.volumes = [{ name: 'rootdisk', dataVolume: { name: 'rootdisk' } }];
    expect(validateDocument(doc).errors).toEqual([]);
  });
});

describe('DataVolume fields as upstream CDI declares them', () => {
  it('source.pvc.namespace is required', () => {
    const e = only(dataVolume({ source: { pvc: { name: 'golden' } }, storage: {} }));
    expect(e).toMatchObject({ path: 'spec.source.pvc.namespace', reason: 'Required' });
    expect(only(dataVolume({ source: { pvc: { namespace: '', name: 'golden' } }, storage: {} }))).toMatchObject({ path: 'spec.source.pvc.namespace', message: 'must not be empty' });
  });

  it('volumeMode FromStorageProfile is accepted in storage and pvc; Block stays refused', () => {
    expect(validateDocument(dataVolume({ storage: { resources: size, volumeMode: 'FromStorageProfile' } })).errors).toEqual([]);
    expect(validateDocument(dataVolume({ storage: undefined, pvc: { accessModes: ['ReadWriteOnce'], resources: size, volumeMode: 'FromStorageProfile' } })).errors).toEqual([]);
    expect(only(dataVolume({ storage: { resources: size, volumeMode: 'Block' } }))).toMatchObject({ path: 'spec.storage.volumeMode', reason: 'UnsupportedField' });
  });
});

describe('domain.machine.type against the launcher\'s QEMU', () => {
  const withType = (type: string) => vmi(vmiSpec((s) => { s.domain.machine = { type }; }));
  it('accepts q35, empty and every versioned q35 type the QEMU provides', () => {
    for (const t of ['', 'q35', ...LAUNCHER_Q35_MACHINE_TYPES]) expect([t, validateDocument(withType(t)).errors]).toEqual([t, []]);
  });
  it('a versioned type the QEMU lacks (a RHEL one, a newer one) is refused with what it provides', () => {
    for (const t of ['pc-q35-rhel9.4.0', 'pc-q35-9.0']) {
      const e = only(withType(t));
      expect(e).toMatchObject({ path: 'spec.domain.machine.type', reason: 'NotSupportedValue', value: t });
      expect(e.message).toBe(`"${t}" is not a machine type the nodes' QEMU (7.2) provides; it provides q35 (an alias of pc-q35-7.2) and ${LAUNCHER_Q35_MACHINE_TYPES.join(', ')}`);
      expect(e.message).not.toContain('pc-q35-*');
    }
  });
  it('a type of another family is refused by the pattern, naming the versions', () => {
    const e = only(withType('pc-i440fx-7.2'));
    expect(e.reason).toBe('Invalid');
    expect(e.message).toContain('pc-q35-2.4 to pc-q35-7.2');
  });
});
