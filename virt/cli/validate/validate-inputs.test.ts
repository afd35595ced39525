import type { DocumentResult } from '../../api/validation/validate.js';
import { formatText } from './format-text.js';
import { validateInputs } from './validate-inputs.js';

describe('validateInputs', () => {
  it('places each error on the line of its field and keeps the document identity', () => {
    const text = 'apiVersion: cdi.kubevirt.io/v1beta1\nkind: DataVolume\nmetadata:\n  name: d\n  namespace: ns\nspec:\n  source:\n    http: {url: "https://x/y.img"}\n  storage:\n    resources:\n      requests:\n        storage: lots\n';
    const report = validateInputs({ inputs: [{ file: 'dv.yaml', text }], unreadable: [] });
    expect(report.documents).toEqual([expect.objectContaining({ file: 'dv.yaml', line: 1, index: 0, kind: 'DataVolume', name: 'd', namespace: 'ns', outcome: 'rejected' })]);
    expect(report.documents[0]?.errors.map((e) => [e.path, e.line])).toEqual([['spec.storage.resources.requests.storage', 12]]);
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
