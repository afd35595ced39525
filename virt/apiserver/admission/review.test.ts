import { parseReview, reviewOf } from './review.js';

const body = (request: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request, ...extra });
const REQ = { uid: 'u1', kind: { group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachine' }, operation: 'UPDATE', subResource: 'status', name: 'vm', namespace: 'ns', userInfo: { username: 'alice', groups: ['g', 7] }, object: { a: 1 }, oldObject: null, dryRun: true };

describe('parseReview', () => {
  it('reads the fields admission decides on, dropping what is malformed', () => {
    expect(parseReview(body(REQ))).toEqual({
      request: { uid: 'u1', kind: REQ.kind, operation: 'UPDATE', subResource: 'status', name: 'vm', namespace: 'ns', userInfo: { username: 'alice', groups: ['g'] }, object: { a: 1 }, dryRun: true },
    });
  });

  it('says what is wrong with anything that is not a v1 review, never throwing', () => {
    const cases: [string, RegExp][] = [
      ['', /not JSON/],
      ['{', /not JSON/],
      ['[]', /not a JSON object/],
      ['null', /not a JSON object/],
      [JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: REQ }), /admissionReviewVersions: \[v1\]/],
      [body(undefined), /request is missing/],
      [body({ ...REQ, uid: '' }), /request.uid/],
      [body({ ...REQ, kind: 'VirtualMachine' }), /request.kind/],
      [body({ ...REQ, operation: 'PATCH' }), /request.operation/],
    ];
    for (const [text, why] of cases) {
      const r = parseReview(text);
      expect('error' in r && r.error).toMatch(why);
    }
  });

  it('wraps a response as a v1 review', () => {
    expect(reviewOf({ uid: 'u1', allowed: true })).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u1', allowed: true } });
  });
});
