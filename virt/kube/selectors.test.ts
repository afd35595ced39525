import { labelSelectorObjectMatches, labelsMatch, parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';

describe('label selectors', () => {
  const m = (sel: string, labels?: Record<string, string>): boolean => labelsMatch(parseLabelSelector(sel), labels);

  it('matches =, ==, !=, in, notin, exists and !exists as the server does', () => {
    expect(m('a=b', { a: 'b' })).toBe(true);
    expect(m('a==b', { a: 'c' })).toBe(false);
    expect(m('a!=b', {})).toBe(true);
    expect(m('a!=b', { a: 'b' })).toBe(false);
    expect(m('a in (x, y)', { a: 'y' })).toBe(true);
    expect(m('a in (x,y)', {})).toBe(false);
    expect(m('a notin (x)', {})).toBe(true);
    expect(m('a notin (x)', { a: 'x' })).toBe(false);
    expect(m('kubevirt.io/domain', { 'kubevirt.io/domain': 'vm' })).toBe(true);
    expect(m('!a', { a: '' })).toBe(false);
    expect(m('a in (x,y), !b,c=d', { a: 'x', c: 'd' })).toBe(true);
    expect(m('', undefined)).toBe(true);
  });

  it('rejects malformed selectors with the selector in the message', () => {
    expect(() => parseLabelSelector('a in x')).toThrow(SelectorError);
    expect(() => parseLabelSelector('a,,b')).toThrow(/empty term/);
    expect(() => parseLabelSelector('a=b c')).toThrow(/"a=b c"/);
  });

  it('matchLabels and matchExpressions objects', () => {
    const sel = { matchLabels: { app: 'x' }, matchExpressions: [{ key: 'tier', operator: 'NotIn' as const, values: ['db'] }, { key: 'zone', operator: 'Exists' as const }] };
    expect(labelSelectorObjectMatches(sel, { app: 'x', zone: 'a' })).toBe(true);
    expect(labelSelectorObjectMatches(sel, { app: 'x', zone: 'a', tier: 'db' })).toBe(false);
    expect(labelSelectorObjectMatches(sel, { app: 'x' })).toBe(false);
  });
});

describe('field selectors', () => {
  it('parses =, == and != on selectable fields and names the unsupported field', () => {
    expect(parseFieldSelector('metadata.name=a,spec.nodeName!=n')).toEqual([
      { field: 'metadata.name', op: '=', value: 'a' },
      { field: 'spec.nodeName', op: '!=', value: 'n' },
    ]);
    expect(() => parseFieldSelector('spec.foo=1')).toThrow(/"spec.foo" is not selectable/);
  });
});
