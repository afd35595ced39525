// The generated CRDs against a real API server: it accepts them as structural, `kubectl explain` shows our
// descriptions, short names, categories and upstream's printer columns work, and unknown spec fields are
// kept (not pruned) so the admission webhook can reject them by path.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './exec.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, kubectl, kubectlOk, repoRoot } from './testing.js';

const crdDir = join(repoRoot, 'virt', 'api', 'crds');
const crdNames = readdirSync(crdDir).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length));
const ns = 'virtstack-api-test';

const ok = (args: string[], input?: string): string => kubectlOk(args, input);

const vmManifest = (name: string, extraDevices: Record<string, unknown> = {}) => JSON.stringify({
  apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name, namespace: ns },
  spec: {
    runStrategy: 'Halted',
    template: { spec: { domain: { devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }], ...extraDevices }, memory: { guest: '128Mi' } }, volumes: [{ name: 'root', containerDisk: { image: 'example.org/guest:1' } }] } },
  },
});

describe('virtstack CRDs on the local cluster', () => {
  beforeAll(async () => {
    await ensureCluster();
    ok(['apply', '--server-side', '--force-conflicts', '-f', crdDir]);
    ok(['wait', '--for=condition=Established', '--timeout=60s', ...crdNames.map((n) => `crd/${n}`)]);
    // Established means served; the API server publishes the CRDs' OpenAPI (what explain reads) a moment later.
    await waitFor('the CRDs in the published OpenAPI', 60_000, () => (kubectl(['explain', 'vm.spec.runStrategy']).code === 0 ? true : undefined), 500);
    kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=true']);
    ok(['create', 'namespace', ns]);
  }, CLUSTER_SETUP_TIMEOUT_MS);

  afterAll(() => {
    kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=true'], undefined, 120_000);
  });

  it('are accepted as structural and established', () => {
    const out = ok(['get', 'crd', ...crdNames, '-o', "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=='NonStructuralSchema')].status}{'\\n'}{end}"]);
    expect(out.trim().split('\n').sort()).toEqual(crdNames.map((n) => `${n}=`).sort());
  });

  it('kubectl explain describes fields from the declarations', () => {
    // kubectl wraps descriptions at 80 columns
    const explain = (field: string) => ok(['explain', field]).replace(/\s+/g, ' ');
    expect(explain('vm.spec.runStrategy')).toContain('When the VM runs: Always (keep running, restart on any stop)');
    expect(explain('vmi.spec.domain.devices.disks.disk.bus')).toContain('Bus the disk is attached to the guest by');
    expect(explain('dv.spec.source.http.url')).toContain('http:// or https:// URL of the image.');
    expect(explain('vmim.spec.vmiName')).toContain('Name of the VirtualMachineInstance to migrate');
  });

  it('short names and the kubevirt category resolve', () => {
    const res = ok(['api-resources', '-o', 'wide', '--no-headers']);
    for (const [plural, shorts] of [['virtualmachines', 'vm,vms'], ['virtualmachineinstances', 'vmi,vmis'], ['virtualmachineinstancemigrations', 'vmim,vmims'], ['virtualmachinepools', 'vmpool,vmpools'], ['datavolumes', 'dv,dvs']] as const) {
      const line = res.split('\n').find((l) => l.startsWith(`${plural} `));
      expect(line).toBeDefined();
      expect(line).toContain(shorts);
      expect(line).toContain('all,kubevirt');
    }
    ok(['get', '-n', ns, 'vm,vmi,vmim,vmpool,dv']);
  });

  it('kubectl get vm/vmi/dv show upstream columns, and the category lists the VM', () => {
    ok(['create', '-f', '-'], vmManifest('columns'));
    const header = ok(['get', 'vm', '-n', ns, 'columns']).split('\n')[0]!.trim().split(/\s+/);
    expect(header).toEqual(['NAME', 'AGE', 'STATUS', 'READY']);
    expect(ok(['get', 'kubevirt', '-n', ns, '-o', 'name'])).toContain('virtualmachine.kubevirt.io/columns');
    const vmi = JSON.parse(vmManifest('columns-vmi')) as { kind: string; spec: { template: { spec: unknown } } };
    ok(['create', '-f', '-'], JSON.stringify({ ...vmi, kind: 'VirtualMachineInstance', spec: vmi.spec.template.spec }));
    expect(ok(['get', 'vmi', '-n', ns]).split('\n')[0]!.trim().split(/\s+/)).toEqual(['NAME', 'AGE', 'PHASE', 'IP', 'NODENAME', 'READY']);
    expect(ok(['get', 'vmi', '-n', ns, '-o', 'wide']).split('\n')[0]!.trim().split(/\s+/)).toEqual(['NAME', 'AGE', 'PHASE', 'IP', 'NODENAME', 'READY', 'LIVE-MIGRATABLE', 'PAUSED']);
    ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name: 'columns-dv', namespace: ns }, spec: { source: { blank: {} }, storage: { resources: { requests: { storage: '1Gi' } } } } }));
    expect(ok(['get', 'dv', '-n', ns]).split('\n')[0]!.trim().split(/\s+/)).toEqual(['NAME', 'PHASE', 'PROGRESS', 'RESTARTS', 'AGE']);
  });

  it('keeps an unsupported field for the webhook instead of pruning it silently', () => {
    // --validate=false: the client sends no fieldValidation, the case DESIGN.md warns about. Were the field
    // pruned by the CRD's schema, the VM would be stored without it; it reaches the api's webhook instead,
    // which refuses it by path, and nothing is stored.
    const r = kubectl(['create', '--validate=false', '-f', '-'], vmManifest('with-gpu', { gpus: [{ name: 'gpu1', deviceName: 'nvidia.com/GP100GL' }] }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.template.spec.domain.devices.gpus: supported by upstream KubeVirt, not by virtstack');
    expect(kubectl(['get', 'vm', '-n', ns, 'with-gpu']).code).not.toBe(0);
  });

  it('the API server enforces enums and types from the declarations', () => {
    const bad = vmManifest('bad-bus').replace('"bus":"virtio"', '"bus":"scsi"');
    const r = kubectl(['create', '-f', '-'], bad);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.template.spec.domain.devices.disks[0].disk.bus');
  });
});
