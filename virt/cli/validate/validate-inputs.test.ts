import type { DocumentResult } from '../../api/validation/validate.js';
import { formatText } from './format-text.js';
import { validateInputs } from './validate-inputs.js';

describe('validateInputs', () => {
  it('places each error on the line of its field and keeps the document identity', () => {
    const text = 'apiVersion: cdi.kubevirt.io/v1beta1\nkind: DataVolume\nmetadata:\n  name: d\n  namespace: ns\nspec:\n  source:\n    http: {url: "https://x/y.img"}\n  storage:\n    resources:\n      requests:\n        storage: lots\n';
    const report = validateInputs({ inputs: [{ file: 'dv.yaml', text }], unreadable: [] });
    expect(report.documents).toEqual([expect.objectContaining({ file: 'dv.yaml', line: 1, index: 0, kind: 'DataVolume', name: 'd', namespace: 'ns', outcome: 'rejected' })]);
    expect(report.documents[0]?.errors.map((e) => [e.path, e.line])).toEqual([['spec.storage.resources.requests[storage]', 12]]);
  });

  it('reports a validator that throws on one document as a failed document, and checks the others', () => {
    const text = 'kind: A\nmetadata: {name: a}\n---\nkind: B\n';
    const flaky = (doc: unknown): DocumentResult => {
      if ((doc as { kind: string }).kind === 'A') throw new TypeError("Cannot read properties of null (reading 'trim')");
      return { outcome: 'accepted', kind: 'B', errors: [] };
    };
    const report = validateInputs({ inputs: [{ file: 'x.yaml', text }], unreadable: [] }, flaky);
    expect(report.summary).toMatchObject({ documents: 2, accepted: 1, rejected: 1 });
    expect(formatText(report).split('\n')[0]).toBe(
      "x.yaml:1: A/a: (document): virtstack's validator failed on this document: Cannot read properties of null (reading 'trim') (this is a virtstack bug: please report it with the document)",
    );
  });
});

describe('validateInputs on a List', () => {
  const VMI_SPEC = '    spec:\n      domain:\n        memory: {guest: 128Mi}\n        devices:\n          disks:\n          - name: root\n            disk: {bus: ide}\n      volumes:\n      - name: root\n        containerDisk: {image: example.org/g:1}\n';

  it('checks every item of a kubectl "kind: List", each on its own lines', () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n- apiVersion: kubevirt.io/v1\n  kind: VirtualMachineInstance\n  metadata: {name: v}\n${VMI_SPEC.replace(/^ {4}spec/m, '  spec')}`;
    const report = validateInputs({ inputs: [{ file: 'list.yaml', text }], unreadable: [] });
    expect(report.documents.map((d) => [d.item, d.kind, d.name, d.outcome, d.line])).toEqual([[0, 'ConfigMap', 'c', 'ignored', 4], [1, 'VirtualMachineInstance', 'v', 'rejected', 7]]);
    expect(report.documents[1]?.errors.map((e) => [e.path, e.line])).toEqual([['spec.domain.devices.disks[0].disk.bus', 16]]);
    expect(formatText(report).split('\n')[1]).toMatch(/^list\.yaml:16: VirtualMachineInstance\/v: spec\.domain\.devices\.disks\[0\]\.disk\.bus: unsupported value "ide"/);
  });

  it('fills apiVersion and kind of a typed list\'s items, which the API leaves out', () => {
    const text = `apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanceList\nitems:\n- metadata: {name: v}\n${VMI_SPEC.replace(/^ {4}spec/m, '  spec')}`;
    const report = validateInputs({ inputs: [{ file: 'l.yaml', text }], unreadable: [] });
    expect(report.documents.map((d) => [d.item, d.apiVersion, d.kind, d.name, d.outcome])).toEqual([[0, 'kubevirt.io/v1', 'VirtualMachineInstance', 'v', 'rejected']]);
  });

  it('counts an empty List as no documents', () => {
    expect(validateInputs({ inputs: [{ file: 'e.yaml', text: 'apiVersion: v1\nkind: List\nitems: []\n' }], unreadable: [] }).summary.documents).toBe(0);
  });
});
