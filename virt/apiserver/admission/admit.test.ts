import { jsonPatch } from '../../kube/patch.js';
import { defaultVmiSpec, defaultVmSpec } from '../../api/defaults/index.js';
import { dataVolume, vm, vmi, vmiSpec } from '../../api/testing/manifests.js';
import { validateDocument } from '../../api/validation/validate.js';
import { mutateRequest, stackUsernames, validateRequest, type AdmissionPolicy } from './admit.js';
import type { AdmissionRequest } from './review.js';

const policy: AdmissionPolicy = { stackUsers: stackUsernames('virtstack', ['virt-controller', 'virt-handler', 'virt-api']) };
const USER = { username: 'alice', groups: ['system:authenticated'] };
const CONTROLLER = { username: 'system:serviceaccount:virtstack:virt-controller' };

function req(obj: Record<string, unknown>, extra: Partial<AdmissionRequest> = {}): AdmissionRequest {
  const [group, version] = String(obj.apiVersion).includes('/') ? String(obj.apiVersion).split('/') : ['', String(obj.apiVersion)];
  return { uid: 'u-1', kind: { group: group ?? '', version: version ?? '', kind: String(obj.kind) }, operation: 'CREATE', namespace: 'default', userInfo: USER, object: obj, ...extra };
}

const withGpu = () => {
  const m = vm();
  ((m.spec as { template: { spec: { domain: { devices: Record<string, unknown> } } } }).template.spec.domain.devices).gpus = [{ name: 'g', deviceName: 'nvidia.com/TU104GL' }];
  return m;
};

describe('validateRequest', () => {
  it('allows what the validator accepts', () => {
    expect(validateRequest(req(vm()), policy)).toEqual({ uid: 'u-1', allowed: true });
  });

  it('refuses what the validator rejects with 422 Invalid, the full path and hint in the message and as causes', () => {
    const r = validateRequest(req(withGpu()), policy);
    const expected = validateDocument(withGpu()).errors;
    expect(r.allowed).toBe(false);
    expect(r.status).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(r.status?.message).toMatch(/^VirtualMachine default\/test-vm is invalid: spec\.template\.spec\.domain\.devices\.gpus: /);
    expect(r.status?.details?.causes.map((c) => c.field)).toEqual(expected.map((e) => e.path));
    expect(r.status?.message).toContain(expected[0]!.hint!);
  });

  it('caps a flood of errors at 20 causes and says how many more there are', () => {
    const m = vm();
    (m.spec as Record<string, unknown>).template = { spec: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`junk${i}`, i])) };
    const r = validateRequest(req(m), policy);
    expect(r.status?.details?.causes).toHaveLength(20);
    expect(r.status?.message).toMatch(/and \d+ more problems/);
  });

  it('lets a status write through for the stack and refuses it for a user, naming the first changed field', () => {
    const old = { ...vmi(), status: { phase: 'Running' } };
    const neu = { ...vmi(), status: { phase: 'Failed' } };
    expect(validateRequest(req(neu, { operation: 'UPDATE', subResource: 'status', oldObject: old, userInfo: { username: 'system:serviceaccount:virtstack:virt-handler' } }), policy).allowed).toBe(true);
    const r = validateRequest(req(neu, { operation: 'UPDATE', subResource: 'status', oldObject: old }), policy);
    expect(r.allowed).toBe(false);
    expect(r.status?.details?.causes[0]?.field).toBe('status.phase');
    // A stack account's service account in another namespace is not the stack.
    expect(validateRequest(req(neu, { operation: 'UPDATE', subResource: 'status', oldObject: old, userInfo: { username: 'system:serviceaccount:other:virt-handler' } }), policy).allowed).toBe(false);
  });

  it('refuses a user changing a VMI spec, naming the field; the controller may; labels may change for anyone', () => {
    const old = vmi();
    const neu = vmi(vmiSpec((s) => void (s.domain.memory = { guest: '256Mi' })));
    const r = validateRequest(req(neu, { operation: 'UPDATE', oldObject: old }), policy);
    expect(r.status?.details?.causes.map((c) => c.field)).toEqual(['spec.domain.memory.guest']);
    expect(validateRequest(req(neu, { operation: 'UPDATE', oldObject: old, userInfo: CONTROLLER }), policy).allowed).toBe(true);
    const relabelled = { ...old, metadata: { ...(old.metadata as object), labels: { a: 'b' } } };
    expect(validateRequest(req(relabelled, { operation: 'UPDATE', oldObject: old }), policy).allowed).toBe(true);
  });

  it('refuses any change of a DataVolume spec, even by the stack', () => {
    const old = dataVolume();
    const neu = dataVolume({ storage: { resources: { requests: { storage: '2Gi' } } } });
    const r = validateRequest(req(neu, { operation: 'UPDATE', oldObject: old, userInfo: CONTROLLER }), policy);
    expect(r.allowed).toBe(false);
    expect(r.status?.details?.causes[0]?.field).toBe('spec.storage.resources.requests.storage');
  });

  it('does not judge again an update that leaves the spec alone (an object stored before the webhook stays deletable)', () => {
    const stored = withGpu();
    const finalizing = { ...stored, metadata: { ...(stored.metadata as object), finalizers: [] } };
    expect(validateRequest(req(finalizing, { operation: 'UPDATE', oldObject: stored }), policy).allowed).toBe(true);
    const changed = structuredClone(stored);
    (changed.spec as Record<string, unknown>).runStrategy = 'Halted';
    expect(validateRequest(req(changed, { operation: 'UPDATE', oldObject: stored }), policy).allowed).toBe(false);
  });

  it('answers every object shape without throwing, and ignores kinds it does not serve', () => {
    for (const o of [null, 42, 'x', [], {}, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', spec: 'nope' }]) {
      const r = validateRequest({ uid: 'u', kind: { group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachine' }, operation: 'CREATE', userInfo: {}, object: o }, policy);
      expect(typeof r.allowed).toBe('boolean');
    }
    expect(validateRequest(req({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }), policy).allowed).toBe(true);
  });
});

describe('mutateRequest', () => {
  const patched = (obj: Record<string, unknown>, r: ReturnType<typeof mutateRequest>): Record<string, unknown> => {
    expect(r.patchType).toBe('JSONPatch');
    return jsonPatch(obj, JSON.parse(Buffer.from(r.patch!, 'base64').toString())) as Record<string, unknown>;
  };

  it('applies the VMI defaults as a JSON patch that yields exactly defaultVmiSpec', () => {
    const obj = vmi(vmiSpec((s) => void (s.volumes!.push({ name: 'extra', containerDisk: { image: 'x/y' } }))));
    const out = patched(obj, mutateRequest(req(obj), policy));
    expect(out.spec).toEqual(defaultVmiSpec(obj.spec as never));
    expect(out.metadata).toEqual(obj.metadata);
  });

  it('applies the VM defaults (the machine type pinned at creation)', () => {
    const obj = vm();
    const out = patched(obj, mutateRequest(req(obj), policy));
    expect(out.spec).toEqual(defaultVmSpec(obj.spec as never));
    expect((out.spec as { template: { spec: { domain: { machine: { type: string } } } } }).template.spec.domain.machine.type).toBe('q35');
  });

  it('sends no patch when nothing is missing or the kind has no defaults', () => {
    const obj = vm();
    const done = { ...obj, spec: defaultVmSpec(obj.spec as never) };
    expect(mutateRequest(req(done), policy)).toEqual({ uid: 'u-1', allowed: true });
    expect(mutateRequest(req(dataVolume()), policy)).toEqual({ uid: 'u-1', allowed: true });
  });

  it('refuses what the validator rejects with the same answer as the validating webhook (it runs before the CRD schema)', () => {
    expect(mutateRequest(req(withGpu()), policy)).toEqual(validateRequest(req(withGpu()), policy));
    const stored = withGpu();
    const relabelled = { ...stored, metadata: { ...(stored.metadata as object), labels: { a: 'b' } } };
    expect(mutateRequest(req(relabelled, { operation: 'UPDATE', oldObject: stored }), policy).allowed).toBe(true);
  });

  it('defaults a VMI only when it is created', () => {
    const obj = vmi();
    expect(mutateRequest(req(obj, { operation: 'UPDATE', oldObject: obj, userInfo: CONTROLLER }), policy)).toEqual({ uid: 'u-1', allowed: true });
  });
});
