// Each case cites the upstream default it mirrors (kubevirt/kubevirt pkg/defaults, api/core/v1/defaults.go,
// pkg/network/vmispec/defaults.go, pkg/util SetDefaultVolumeDisk).
import { vmiSpec, withDisk, withVolume } from '../testing/manifests.js';
import type { VirtualMachineInstanceSpec } from '../kubevirt/vmi-spec.js';
import { defaultVmiSpec, gracePeriodSecondsOf } from './vmi-spec.js';
import { VIRTSTACK_DEFAULTS } from './cluster-defaults.js';
import { defaultVmSpec, runStrategyOf } from './vm.js';
import { contentTypeOf } from './datavolume.js';

describe('defaultVmiSpec', () => {
  it('does not mutate its input and is idempotent', () => {
    const input = vmiSpec();
    const copy = structuredClone(input);
    const once = defaultVmiSpec(input);
    expect(input).toEqual(copy);
    expect(defaultVmiSpec(once)).toEqual(once);
  });

  it('machine type: q35 when unset or empty (setDefaultMachineType, virt-config DefaultAMD64MachineType)', () => {
    expect(defaultVmiSpec(vmiSpec()).domain.machine).toEqual({ type: 'q35' });
    expect(defaultVmiSpec(vmiSpec((s) => { s.domain.machine = { type: '' }; })).domain.machine).toEqual({ type: 'q35' });
    expect(defaultVmiSpec(vmiSpec((s) => { s.domain.machine = { type: 'pc-q35-8.2' }; })).domain.machine).toEqual({ type: 'pc-q35-8.2' });
  });

  it('guest memory from the memory request, else the limit (setGuestMemory)', () => {
    const fromReq = vmiSpec((s) => { delete s.domain.memory; s.domain.resources = { requests: { memory: '512Mi' } }; });
    expect(defaultVmiSpec(fromReq).domain.memory).toEqual({ guest: '512Mi' });
    const fromLimit = vmiSpec((s) => { delete s.domain.memory; s.domain.resources = { limits: { memory: '1Gi' } }; });
    const d = defaultVmiSpec(fromLimit);
    expect(d.domain.memory).toEqual({ guest: '1Gi' });
    // setDefaultResourceRequests: a memory limit without a request becomes the request
    expect(d.domain.resources?.requests).toEqual({ memory: '1Gi' });
  });

  it('memory request from guest memory, scaled by overcommit (setDefaultResourceRequests)', () => {
    expect(defaultVmiSpec(vmiSpec()).domain.resources?.requests).toEqual({ memory: '128Mi' });
    const over = defaultVmiSpec(vmiSpec(), { ...VIRTSTACK_DEFAULTS, memoryOvercommit: 200 });
    expect(over.domain.resources?.requests?.memory).toBe(String(64 * 2 ** 20));
  });

  it('a CPU limit without a request becomes the request (setDefaultResourceRequests)', () => {
    const d = defaultVmiSpec(vmiSpec((s) => { s.domain.resources = { limits: { cpu: '2' } }; }));
    expect(d.domain.resources?.requests?.cpu).toBe('2');
  });

  it('CPU topology: sockets from the CPU limit/request, else 1; cores = threads = 1 (SetDefaultGuestCPUTopology)', () => {
    expect(defaultVmiSpec(vmiSpec()).domain.cpu).toEqual({ sockets: 1, cores: 1, threads: 1 });
    expect(defaultVmiSpec(vmiSpec((s) => { s.domain.resources = { requests: { cpu: '3' } }; })).domain.cpu).toEqual({ sockets: 3, cores: 1, threads: 1 });
    expect(defaultVmiSpec(vmiSpec((s) => { s.domain.resources = { limits: { cpu: '2' }, requests: { cpu: '1' } }; })).domain.cpu?.sockets).toBe(2);
    // a given topology is left alone
    expect(defaultVmiSpec(vmiSpec((s) => { s.domain.cpu = { cores: 4 }; })).domain.cpu).toEqual({ cores: 4 });
  });

  it('containerDisk pull policy: Always for :latest or untagged, else IfNotPresent (setDefaultPullPoliciesOnContainerDisks)', () => {
    const pol = (image: string) => defaultVmiSpec(vmiSpec((s) => { s.volumes = [{ name: 'rootdisk', containerDisk: { image } }]; })).volumes?.[0]?.containerDisk?.imagePullPolicy;
    expect(pol('example.org/guest:latest')).toBe('Always');
    expect(pol('guest')).toBe('Always');
    expect(pol('example.org/guest:1.0')).toBe('IfNotPresent');
    expect(pol('example.org/guest@sha256:abc')).toBe('IfNotPresent');
    // upstream tests the whole reference for ':' — a registry port counts as a tag; mirrored as is
    expect(pol('registry:5000/guest')).toBe('IfNotPresent');
  });

  it('pod network: one "default" interface on the pod network when neither is given (SetDefaultNetworkInterface)', () => {
    const d = defaultVmiSpec(vmiSpec());
    // upstream's compiled-in binding is bridge; virtstack's cluster default is masquerade (cluster-defaults.ts)
    expect(d.domain.devices.interfaces).toEqual([{ name: 'default', masquerade: {} }]);
    expect(d.networks).toEqual([{ name: 'default', pod: {} }]);
    const bridge = defaultVmiSpec(vmiSpec(), { ...VIRTSTACK_DEFAULTS, defaultNetworkInterface: 'bridge' });
    expect(bridge.domain.devices.interfaces).toEqual([{ name: 'default', bridge: {} }]);
    const off = defaultVmiSpec(vmiSpec((s) => { s.domain.devices.autoattachPodInterface = false; }));
    expect(off.domain.devices.interfaces).toBeUndefined();
    expect(off.networks).toBeUndefined();
  });

  it('every volume gets a disk of its name (SetDefaultVolumeDisk), a disk target (SetDefaults_DiskDevice) and bus sata (amd64.go)', () => {
    const spec: VirtualMachineInstanceSpec = vmiSpec(withVolume({ name: 'data', emptyDisk: { capacity: '1Gi' } }), withDisk({ name: 'cd', cdrom: {} }), withVolume({ name: 'cd', containerDisk: { image: 'x:1' } }));
    const d = defaultVmiSpec(spec);
    expect(d.domain.devices.disks).toEqual([
      { name: 'rootdisk', disk: { bus: 'virtio' } },
      { name: 'cd', cdrom: { bus: 'sata', readonly: true } },
      { name: 'data', disk: { bus: 'sata' } },
    ]);
  });

  it('eviction strategy from the cluster setting when unset (setDefaultEvictionStrategy)', () => {
    expect(defaultVmiSpec(vmiSpec()).evictionStrategy).toBeUndefined();
    expect(defaultVmiSpec(vmiSpec(), { ...VIRTSTACK_DEFAULTS, evictionStrategy: 'LiveMigrate' }).evictionStrategy).toBe('LiveMigrate');
    expect(defaultVmiSpec(vmiSpec((s) => { s.evictionStrategy = 'None'; }), { ...VIRTSTACK_DEFAULTS, evictionStrategy: 'LiveMigrate' }).evictionStrategy).toBe('None');
  });

  it('grace period 30 s when unset (types.go DefaultGracePeriodSeconds)', () => {
    expect(gracePeriodSecondsOf(vmiSpec())).toBe(30);
    expect(gracePeriodSecondsOf(vmiSpec((s) => { s.terminationGracePeriodSeconds = 0; }))).toBe(0);
  });
});

describe('VirtualMachine defaults', () => {
  it('pins the machine type on the template (setVMDefaultMachineType)', () => {
    const spec = { runStrategy: 'Always' as const, template: { spec: vmiSpec() } };
    expect(defaultVmSpec(spec).template.spec.domain.machine).toEqual({ type: 'q35' });
    expect(spec.template.spec.domain.machine).toBeUndefined();
  });

  it('running maps to a run strategy: true→Always, false→Halted, neither→Halted (VirtualMachine.RunStrategy())', () => {
    expect(runStrategyOf({ running: true })).toBe('Always');
    expect(runStrategyOf({ running: false })).toBe('Halted');
    expect(runStrategyOf({})).toBe('Halted');
    expect(runStrategyOf({ runStrategy: 'RerunOnFailure' })).toBe('RerunOnFailure');
  });
});

describe('DataVolume defaults', () => {
  it('contentType kubevirt when unset (CDI GetContentType)', () => {
    expect(contentTypeOf({})).toBe('kubevirt');
    expect(contentTypeOf({ contentType: 'archive' })).toBe('archive');
  });
});
