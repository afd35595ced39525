// Admission on the cluster: every client path reaches the same validator virtctl validate runs. The whole
// compatibility corpus is sent (dry-run, so nothing starts) and each document is accepted or refused
// exactly as the validator says, with the same field paths (a migration also meets virt-api's check of its
// VMI, which no test namespace runs: clusterVerdict); a raw POST and `kubectl create
// --validate=false` of a VM with gpus are refused naming the field; the defaults show in `kubectl get -o
// yaml`; updates follow the rules (a VMI's and a DataVolume's spec fixed, VM/VMI status the stack's).
import { findServedKind } from '../../virt/api/kinds.js';
import { clusterVerdict, collectionOf, corpusDocuments, sendToCluster, validatorPaths, wireJson } from './admission-helpers.js';
import { kubectl, kubectlOk } from './testing.js';
import { stackNamespace, STACK_NAMESPACE, vmObject } from './stack.js';

const ns = stackNamespace('admission');

function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, dropNulls(x)]));
}
const GPUS = 'spec.template.spec.domain.devices.gpus';

function gpuVm(name: string): Record<string, unknown> {
  const vm = vmObject(ns.name, name, 'Halted', { edit: (s) => void ((s.domain.devices as Record<string, unknown>).gpus = [{ name: 'gpu1', deviceName: 'nvidia.com/TU104GL_Tesla_T4' }]) });
  return vm;
}

describe('the compatibility corpus on the cluster', () => {
  const docs = corpusDocuments();

  it('has documents of every served kind to send', () => {
    const kinds = new Set(docs.map((d) => String(d.value.kind)));
    for (const k of ['VirtualMachine', 'VirtualMachineInstance', 'DataVolume']) expect(kinds).toContain(k);
  });

  it('accepts and refuses each served-kind document exactly as virtctl validate does, with the same paths', async () => {
    const mismatches: unknown[] = [];
    const nullsDropped: string[] = [];
    let sent = 0;
    for (const d of docs) {
      const doc = structuredClone(d.value);
      const collection = collectionOf(doc, ns.name);
      if (!collection) continue;
      const meta = (typeof doc.metadata === 'object' && doc.metadata !== null ? doc.metadata : {}) as Record<string, unknown>;
      delete meta.namespace;
      doc.metadata = meta;
      const want = clusterVerdict(doc, validatorPaths(doc));
      const got = await sendToCluster(collection, wireJson(doc), { dryRun: true });
      sent++;
      // The kube-apiserver drops a null on a non-nullable field before admission (`storage:` with nothing
      // after it): the webhook names what is then missing, the offline validator the null itself.
      const withoutNulls = dropNulls(doc);
      const wantPaths = JSON.stringify(withoutNulls) === JSON.stringify(doc) ? want.paths : clusterVerdict(withoutNulls, validatorPaths(withoutNulls)).paths;
      if (wantPaths !== want.paths) nullsDropped.push(`${d.file}#${d.index}`);
      if (got.accepted !== want.accepted || (!got.accepted && JSON.stringify(got.paths) !== JSON.stringify(wantPaths)) || (want.message && !want.message.test(got.message))) {
        mismatches.push({ doc: `${d.file}#${d.index}`, validator: want, cluster: { code: got.code, paths: got.paths, message: got.message.slice(0, 300) } });
      }
    }
    expect(sent).toBeGreaterThan(20);
    expect(mismatches).toEqual([]);
    expect(nullsDropped).toEqual(['cdi/clone-datavolume.yaml#0']);
  }, 300_000);

  it('refuses the documents of kinds and versions virtstack does not serve (the cluster has no such resource), as the validator does', async () => {
    const unserved = docs.filter((d) => /kubevirt\.io\//.test(String(d.value.apiVersion)) && !findServedKind(String(d.value.apiVersion), String(d.value.kind)));
    expect(unserved.length).toBeGreaterThan(0);
    for (const d of unserved) {
      expect(validatorPaths(d.value).accepted).toBe(false);
      const plural = `${String(d.value.kind).toLowerCase()}s`;
      const got = await sendToCluster(`/apis/${String(d.value.apiVersion)}/namespaces/${ns.name}/${plural}`, wireJson(d.value), { dryRun: true });
      expect({ doc: `${d.file}#${d.index}`, code: got.code }).toEqual({ doc: `${d.file}#${d.index}`, code: 404 });
    }
  });
});

describe('every client is refused the same way', () => {
  it('a raw POST without fieldValidation of a VM with gpus is refused naming the field and the hint', async () => {
    const vm = gpuVm('raw-gpu');
    const got = await sendToCluster(collectionOf(vm, ns.name)!, wireJson(vm));
    expect(got.code).toBe(422);
    expect(got.paths).toEqual([GPUS]);
    expect(got.message).toMatch(/^admission webhook "virtualmachines?-(mutator|validator)\.kubevirt\.io" denied the request: /);
    expect(got.message).toContain(`VirtualMachine ${ns.name}/raw-gpu is invalid: ${GPUS}: `);
    expect(got.message).toContain('virt/api/docs/reference.md');
    expect(kubectl(['-n', ns.name, 'get', 'vm', 'raw-gpu']).code).not.toBe(0);
  });

  it('kubectl create --validate=false is refused too, with the path on its one error line', () => {
    const r = kubectl(['create', '--validate=false', '-f', '-'], JSON.stringify(gpuVm('kubectl-gpu')));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(GPUS);
    expect(r.stderr).toContain('virt/api/docs/reference.md');
  });
});

describe('defaults', () => {
  it('kubectl get vm -o yaml shows the machine type the mutating webhook pinned', () => {
    kubectlOk(['apply', '-f', '-'], JSON.stringify(vmObject(ns.name, 'defaulted', 'Halted')));
    const yaml = kubectlOk(['-n', ns.name, 'get', 'vm', 'defaulted', '-o', 'yaml']);
    expect(yaml).toMatch(/machine:\n\s+type: q35/);
  });

  it('a VMI gets the VMI defaults (CPU topology, the pod network, memory request) as stored', async () => {
    const vmi = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'vmi-defaults' }, spec: (vmObject(ns.name, 'x', 'Halted').spec as { template: { spec: unknown } }).template.spec };
    const got = await sendToCluster(collectionOf(vmi, ns.name)!, JSON.stringify(vmi), { dryRun: true });
    expect(got.accepted).toBe(true);
    expect(got.object?.spec).toMatchObject({
      domain: { cpu: { sockets: 1, cores: 1, threads: 1 }, machine: { type: 'q35' }, resources: { requests: { memory: '128Mi' } }, devices: { interfaces: [{ name: 'default', masquerade: {} }] } },
      networks: [{ name: 'default', pod: {} }],
    });
  });
});

describe('updates', () => {
  it('a user cannot write VM status; the controller can', () => {
    kubectlOk(['apply', '-f', '-'], JSON.stringify(vmObject(ns.name, 'statusy', 'Halted')));
    const r = kubectl(['-n', ns.name, 'patch', 'vm', 'statusy', '--subresource=status', '--type=merge', '-p', '{"status":{"printableStatus":"Running"}}']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('status.printableStatus: the status of a VirtualMachine is written by virtstack');
    // As the controller (impersonated): a PUT of the status subresource, which is all its RBAC allows.
    const vm = JSON.parse(kubectlOk(['-n', ns.name, 'get', 'vm', 'statusy', '-o', 'json'])) as { status?: Record<string, unknown> };
    vm.status = { ...vm.status, printableStatus: 'Stopped' };
    const asController = kubectl(['replace', '--raw', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachines/statusy/status`, '-f', '-', `--as=system:serviceaccount:${STACK_NAMESPACE}:virt-controller`], JSON.stringify(vm));
    expect(asController.stderr).toBe('');
    expect(asController.code).toBe(0);
  });

  it('a DataVolume spec cannot change, naming the field; its labels can', () => {
    const dv = { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name: 'fixed', namespace: ns.name }, spec: { source: { blank: {} }, storage: { resources: { requests: { storage: '16Mi' } } } } };
    kubectlOk(['create', '-f', '-'], JSON.stringify(dv));
    const r = kubectl(['-n', ns.name, 'patch', 'dv', 'fixed', '--type=merge', '-p', '{"spec":{"storage":{"resources":{"requests":{"storage":"32Mi"}}}}}']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.storage.resources.requests.storage: field is immutable: the spec of a DataVolume cannot change');
    kubectlOk(['-n', ns.name, 'label', 'dv', 'fixed', 'team=a']);
    kubectlOk(['-n', ns.name, 'delete', 'dv', 'fixed', '--wait=false']);
  });

  it('an invalid update of a valid VM is refused with its path, a valid one goes through', () => {
    const bad = kubectl(['-n', ns.name, 'patch', 'vm', 'defaulted', '--type=merge', '-p', '{"spec":{"runStrategy":"Sometimes"}}']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('spec.runStrategy');
    kubectlOk(['-n', ns.name, 'patch', 'vm', 'defaulted', '--type=merge', '-p', '{"spec":{"runStrategy":"Manual"}}']);
  });
});
