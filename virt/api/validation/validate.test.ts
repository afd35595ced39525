import { dataVolume, vm, vmi, vmiSpec, withDisk, withInterface, withVolume } from '../testing/manifests.js';
import { formatFieldError, ValidationError, type FieldError } from './field-error.js';
import { validateDocument } from './validate.js';

function lines(doc: unknown): string[] {
  return validateDocument(doc).errors.map(formatFieldError);
}
function only(doc: unknown): FieldError {
  const { errors } = validateDocument(doc);
  expect(errors).toHaveLength(1);
  return errors[0]!;
}

describe('validateDocument: document level', () => {
  it('accepts a minimal valid VMI, VM and DataVolume', () => {
    expect(validateDocument(vmi())).toMatchObject({ outcome: 'accepted', kind: 'VirtualMachineInstance', name: 'test-vmi', errors: [] });
    expect(validateDocument(vm()).outcome).toBe('accepted');
    expect(validateDocument(dataVolume()).outcome).toBe('accepted');
  });

  it('passes kinds that are not virtstack\'s with a note', () => {
    const r = validateDocument({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: {} });
    expect(r).toMatchObject({ outcome: 'ignored', note: 'ConfigMap (v1) is not a virtstack kind; not checked', errors: [] });
  });

  it('names an upstream kind virtstack does not serve', () => {
    expect(lines({ apiVersion: 'instancetype.kubevirt.io/v1beta1', kind: 'VirtualMachineInstancetype', metadata: { name: 'c' }, spec: {} })[0])
      .toMatch(/^kind: VirtualMachineInstancetype \(instancetype\.kubevirt\.io\) is an upstream KubeVirt kind that virtstack does not serve/);
    expect(only({ apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataSource', metadata: { name: 'c' } }).message).toBe('DataSource (cdi.kubevirt.io) is an upstream CDI kind that virtstack does not serve');
  });

  it('an unknown kind in a KubeVirt group gets the nearest served kind', () => {
    expect(only({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachin', metadata: { name: 'x' } }).message).toBe('unknown kind VirtualMachin in kubevirt.io; did you mean VirtualMachine?');
  });

  it('an old apiVersion of a served kind says which to use', () => {
    const e = only({ ...vm(), apiVersion: 'kubevirt.io/v1alpha3' });
    expect(formatFieldError(e)).toBe('apiVersion: VirtualMachine is served as kubevirt.io/v1 only, not kubevirt.io/v1alpha3 (change apiVersion to kubevirt.io/v1)');
    expect(e).toMatchObject({ value: 'kubevirt.io/v1alpha3', allowed: 'kubevirt.io/v1' });
  });

  it('rejects non-objects and missing apiVersion/kind without throwing', () => {
    expect(lines('hello')).toEqual(['(document): must be a Kubernetes object (a map with apiVersion and kind), got string "hello"']);
    expect(lines([1])).toEqual(['(document): must be a Kubernetes object (a map with apiVersion and kind), got list a list']);
    expect(lines({ kind: 'VirtualMachine' })).toEqual(['apiVersion: required field is missing or not a string (e.g. apiVersion: kubevirt.io/v1)']);
  });

  it('requires metadata.name (or generateName) and checks its form', () => {
    expect(lines({ ...vmi(), metadata: {} })).toEqual(['metadata.name: required field is missing (name the object, or set generateName)']);
    expect(validateDocument({ ...vmi(), metadata: { generateName: 'vm-' } }).outcome).toBe('accepted');
    expect(only({ ...vmi(), metadata: { name: 'Bad_Name' } }).message).toBe('"Bad_Name" is not a valid name');
  });

  it('checks labels and rejects unknown metadata fields with a suggestion', () => {
    expect(lines({ ...vmi(), metadata: { name: 'a', labelz: {} } })).toEqual(['metadata.labelz: unknown field "labelz"; did you mean labels? (rename it to labels)']);
    expect(only({ ...vmi(), metadata: { name: 'a', labels: { app: 5 } } }).message).toBe('must be a string, got integer 5');
  });

  it('rejects unknown top-level fields', () => {
    expect(lines({ ...vmi(), sepc: {} })[0]).toBe('sepc: unknown field "sepc"; did you mean spec? (a Kubernetes object has apiVersion, kind, metadata, spec and status)');
  });
});

describe('validateDocument: fields outside the subset', () => {
  it('a field upstream KubeVirt has but virtstack does not is named by full path', () => {
    const doc = vm({}, vmiSpec((s) => { (s.domain.devices as Record<string, unknown>).gpus = [{ name: 'g', deviceName: 'nvidia' }]; }));
    const e = only(doc);
    expect(formatFieldError(e)).toBe('spec.template.spec.domain.devices.gpus: supported by upstream KubeVirt, not by virtstack (remove the field; virt/api/docs/reference.md lists what virtstack serves)');
    expect(e.reason).toBe('UnsupportedField');
  });

  it('an upstream CDI source is attributed to CDI', () => {
    const e = only(dataVolume({ source: { s3: { url: 'https://x' } } }));
    expect(e).toMatchObject({ path: 'spec.source.s3', reason: 'UnsupportedField', message: 'supported by upstream CDI, not by virtstack' });
  });

  it('an unknown name gets the nearest known field', () => {
    const e = only(vm({ runStrategyy: 'Always', runStrategy: undefined }));
    expect(formatFieldError(e)).toBe('spec.runStrategyy: unknown field "runStrategyy"; did you mean runStrategy? (rename it to runStrategy)');
  });

  it('an unknown name with nothing close lists the known fields', () => {
    const e = only(vmi(vmiSpec((s) => { (s.domain as Record<string, unknown>).zzzqqq = 1; })));
    expect(e.path).toBe('spec.domain.zzzqqq');
    expect(e.hint).toBe('known fields here: cpu, memory, resources, machine, firmware, devices');
  });

  it('upstream annotations virtstack would ignore are rejected', () => {
    const doc = { ...vmi(), metadata: { name: 'a', annotations: { 'hooks.kubevirt.io/hookSidecars': '[]' } } };
    expect(lines(doc)).toEqual(['metadata.annotations[hooks.kubevirt.io/hookSidecars]: this annotation is honoured by upstream KubeVirt/CDI, not by virtstack (remove it: virtstack would ignore it)']);
  });
});

describe('validateDocument: types, enums, quantities', () => {
  it('wrong types name what is expected and what was given', () => {
    expect(lines(vmi(vmiSpec((s) => { (s as Record<string, unknown>).terminationGracePeriodSeconds = 'thirty'; }))))
      .toEqual(['spec.terminationGracePeriodSeconds: must be an integer, got string "thirty"']);
    expect(lines(vm({ running: 'true', runStrategy: undefined })))
      .toEqual(['spec.running: must be true or false, got string "true" (write true without quotes)']);
    expect(lines(vmi(vmiSpec((s) => { (s as Record<string, unknown>).volumes = { name: 'x' }; }))))
      .toEqual(['spec.volumes: must be a list, got object an object']);
  });

  it('an unsupported bus lists the supported ones and suggests the closest', () => {
    const e = only(vmi(vmiSpec((s) => { s.domain.devices.disks![0]!.disk = { bus: 'ide' as 'sata' }; })));
    expect(formatFieldError(e)).toBe('spec.domain.devices.disks[0].disk.bus: unsupported value "ide": supported values are "virtio", "sata"');
    expect(e).toMatchObject({ reason: 'NotSupportedValue', value: 'ide', allowed: '"virtio", "sata"' });
    // a value upstream accepts is refused as unsupported, not as a typo
    const scsi = only(vmi(vmiSpec((s) => { s.domain.devices.disks![0]!.disk = { bus: 'scsi' as 'sata' }; })));
    expect(formatFieldError(scsi)).toBe('spec.domain.devices.disks[0].disk.bus: "scsi" is supported by upstream KubeVirt, not by virtstack: supported values are "virtio", "sata"');
    expect(scsi.reason).toBe('UnsupportedField');
    expect(only(vm({ runStrategy: 'WaitAsReceiver' })).reason).toBe('UnsupportedField');
    expect(only(vmi(vmiSpec((s) => { s.domain.devices.disks![0]!.disk = { bus: 'virtoi' as 'sata' }; }))).hint).toBe('did you mean "virtio"?');
  });

  it('invalid quantities say how to write one', () => {
    const e = only(vmi(vmiSpec((s) => { s.domain.memory = { guest: '128MB' }; })));
    expect(formatFieldError(e)).toBe('spec.domain.memory.guest: "128MB" is not a valid quantity (write e.g. "128Mi", "2Gi", "500m" or "1")');
    expect(only(vmi(vmiSpec((s) => { s.domain.memory = { guest: '-1Gi' }; }))).message).toBe('"-1Gi" is negative');
    expect(validateDocument(vmi(vmiSpec((s) => { s.domain.memory = { guest: 134217728 }; })))).toMatchObject({ outcome: 'accepted' });
  });

  it('out-of-range integers give the range', () => {
    expect(only(vmi(vmiSpec((s) => { s.domain.cpu = { cores: 2 ** 40 }; }))).message).toBe(`${2 ** 40} is out of range: must be between 1 and ${2 ** 31 - 1}`);
    expect(only(vmi(vmiSpec((s) => { s.domain.cpu = { cores: 0 }; }))).path).toBe('spec.domain.cpu.cores');
  });

  it('missing required fields name the path', () => {
    expect(lines({ ...vm(), spec: { runStrategy: 'Always' } })).toEqual(['spec.template: required field is missing (The VirtualMachineInstance this VM runs.)']);
    expect(lines(vmi({}))).toEqual(['spec.domain: required field is missing (The virtual hardware of the guest.)']);
  });
});

describe('validateDocument: cross-field rules', () => {
  it('a disk without a volume', () => {
    const e = only(vmi(vmiSpec(withDisk({ name: 'data', disk: {} }))));
    expect(formatFieldError(e)).toBe('spec.domain.devices.disks[1].name: disk "data" has no volume of the same name (add a volume named "data" to spec.volumes, or rename the disk to one of rootdisk)');
    expect(e.reason).toBe('NotFound');
  });

  it('duplicate names', () => {
    const e = only(vmi(vmiSpec(withVolume({ name: 'rootdisk', emptyDisk: { capacity: '1Gi' } }))));
    expect(formatFieldError(e)).toBe('spec.volumes[1].name: duplicate volume name "rootdisk" (also at spec.volumes[0]) (give each volume a unique name)');
  });

  it('both running and runStrategy', () => {
    expect(lines(vm({ running: true }))).toEqual(['spec.running: running and runStrategy are mutually exclusive (running is deprecated upstream) (remove running and keep runStrategy: Always)']);
  });

  it('neither running nor runStrategy (upstream requires one)', () => {
    expect(lines(vm({ runStrategy: undefined }))).toEqual(['spec.runStrategy: required field is missing: upstream KubeVirt requires a run strategy (add runStrategy: Always (to start the VM) or Halted)']);
  });

  it('conflicting sources in a DataVolume', () => {
    const e = only(dataVolume({ source: { http: { url: 'https://x/d.img' }, blank: {} } }));
    expect(formatFieldError(e)).toBe('spec.source.blank: conflicts with http: http and blank are both set, only one is allowed (keep one of http, blank)');
    expect(only(dataVolume({ source: {} })).message).toBe('needs exactly one of: http, registry, pvc, blank, upload');
  });

  it('DataVolume: pvc and storage together, size missing, archive rules', () => {
    expect(only(dataVolume({ pvc: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } })).message).toBe('conflicts with pvc: pvc and storage are both set, only one is allowed');
    expect(lines(dataVolume({ storage: {} }))).toEqual(['spec.storage.resources.requests[storage]: the size of the volume is missing (add storage.resources.requests.storage, e.g. 10Gi (only clones may omit it))']);
    expect(validateDocument(dataVolume({ source: { pvc: { namespace: 'default', name: 'src' } }, storage: {} })).outcome).toBe('accepted');
    expect(only(dataVolume({ contentType: 'archive', source: { registry: { url: 'docker://x/y:1' } } })).message).toBe('an archive is extracted only from an http or upload source');
  });

  it('unsupported bus/firmware combinations', () => {
    // EFI with Secure Boot (upstream's default) is served: the launcher adds SMM as upstream does
    expect(validateDocument(vmi(vmiSpec((s) => { s.domain.firmware = { bootloader: { efi: {} } }; }))).outcome).toBe('accepted');
    expect(validateDocument(vmi(vmiSpec((s) => { s.domain.firmware = { bootloader: { efi: { secureBoot: false } } }; }))).outcome).toBe('accepted');
    expect(only(vmi(vmiSpec((s) => { s.domain.firmware = { bootloader: { efi: {}, bios: {} } }; }))).message).toBe('conflicts with bios: bios and efi are both set, at most one is allowed');
    const cdrom = only(vmi(vmiSpec((s) => { s.domain.devices.disks = [{ name: 'rootdisk', cdrom: { bus: 'virtio' as 'sata' } }]; })));
    expect(cdrom.message).toBe('unsupported value "virtio": supported values are "sata"');
    const both = only(vmi(vmiSpec((s) => { s.domain.devices.disks = [{ name: 'rootdisk', disk: {}, cdrom: {} }]; })));
    expect(both.message).toBe('conflicts with disk: disk and cdrom are both set, at most one is allowed');
    const kernelEfi = validateDocument(vmi(vmiSpec((s) => { s.domain.firmware = { bootloader: { efi: { secureBoot: false } }, kernelBoot: { container: { image: 'k:1', kernelPath: '/vmlinuz' } } }; })));
    expect(kernelEfi.errors.map((e) => e.message)).toEqual(['virtstack boots a kernel directly only with BIOS firmware, but bootloader.efi is set']);
  });

  it('interfaces and networks refer to each other; bridge cannot live-migrate', () => {
    expect(only(vmi(vmiSpec((s) => { s.domain.devices.interfaces = [{ name: 'nic', masquerade: {} }]; }))).message).toBe('interface "nic" has no network of the same name');
    const bridge = vmi(vmiSpec(withInterface({ name: 'default', bridge: {} }), (s) => { s.evictionStrategy = 'LiveMigrate'; }));
    expect(only(bridge).path).toBe('spec.domain.devices.interfaces[0].bridge');
  });

  it('requests above limits and guest memory above the limit', () => {
    const e = lines(vmi(vmiSpec((s) => { s.domain.memory = { guest: '2Gi' }; s.domain.resources = { requests: { memory: '2Gi' }, limits: { memory: '1Gi' } }; })));
    expect(e).toEqual([
      'spec.domain.resources.requests[memory]: request 2Gi is larger than the limit 1Gi (lower the request or raise spec.domain.resources.limits.memory)',
      'spec.domain.memory.guest: guest memory 2Gi is more than the memory limit 1Gi (the launcher pod would be killed for using more than its limit)',
    ]);
  });

  it('dataVolumeTemplates are validated as DataVolumes and must be used', () => {
    const doc = vm({ dataVolumeTemplates: [{ metadata: { name: 'root' }, spec: { source: { blank: {} }, storage: {} } }] });
    expect(lines(doc)).toEqual([
      'spec.dataVolumeTemplates[0].spec.storage.resources.requests[storage]: the size of the volume is missing (add storage.resources.requests.storage, e.g. 10Gi (only clones may omit it))',
      'spec.dataVolumeTemplates[0].metadata.name: DataVolume template "root" is not used by any volume of the VM (add a volume {name: ..., dataVolume: {name: root}} to spec.template.spec.volumes)',
    ]);
  });

  it('a pool whose selector does not match its template', () => {
    const pool = { apiVersion: 'pool.kubevirt.io/v1beta1', kind: 'VirtualMachinePool', metadata: { name: 'p' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, virtualMachineTemplate: { metadata: { labels: { app: 'db' } }, spec: { runStrategy: 'Always', template: { spec: vmiSpec() } } } } };
    expect(only(pool).message).toBe("selects app=web, but the template's labels have app=db: the pool would never see its own VMs");
  });
});

describe('ValidationError', () => {
  it('carries every error and formats them under the object name', () => {
    const errors = validateDocument(vmi({})).errors;
    const err = new ValidationError('VirtualMachineInstance default/x', errors);
    expect(err.errors).toBe(errors);
    expect(err.message).toBe('VirtualMachineInstance default/x is invalid:\n  spec.domain: required field is missing (The virtual hardware of the guest.)');
  });
});
