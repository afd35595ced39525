import { excludeNode } from './target-pod.js';

describe('excludeNode', () => {
  it('adds "not the source node" to every required term (terms are ORed), keeping the rest', () => {
    const affinity = {
      podAffinity: { x: 1 },
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
        { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-3'] }] },
      ] } },
    };
    const notSource = { key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['node-1'] };
    expect(excludeNode(affinity, 'node-1')).toEqual({
      podAffinity: { x: 1 },
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
        { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, notSource] },
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-3'] }], matchExpressions: [notSource] },
      ] } },
    });
    expect(affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]!.matchExpressions).toHaveLength(1);
    expect(excludeNode(undefined, 'node-2')).toEqual({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ ...notSource, values: ['node-2'] }] }] } } });
  });
});
