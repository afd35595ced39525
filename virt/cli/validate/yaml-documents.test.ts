import { parseYamlDocuments, type ParsedDocument } from './yaml-documents.js';

type ObjectDoc = Extract<ParsedDocument, { kind: 'object' }>;
type MalformedDoc = Extract<ParsedDocument, { kind: 'malformed' }>;

function objects(text: string): ObjectDoc[] {
  const docs = parseYamlDocuments(text);
  for (const d of docs) if (d.kind !== 'object') throw new Error(`expected only objects, got ${JSON.stringify(d)}`);
  return docs as ObjectDoc[];
}

const VM = `# leading comment
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: demo
  annotations:
    hooks.kubevirt.io/hookSidecars: '[]'
spec:
  runStrategy: Always
  template:
    spec:
      domain:
        devices:
          disks:
          - name: root
            disk:
              bus: ide
          - name: data
      volumes:
      - name: root
        containerDisk: {image: example.org/guest:1}
`;

describe('parseYamlDocuments: line of a field path', () => {
  const [vm] = objects(VM);

  it('starts the document at its first key, after comments', () => {
    expect(vm?.line).toBe(2);
  });

  it('maps a nested path through list items to the line of the key', () => {
    expect(vm?.lineOf('spec.template.spec.domain.devices.disks[0].disk.bus')).toBe(17);
    expect(vm?.lineOf('spec.template.spec.domain.devices.disks[1].name')).toBe(18);
    expect(vm?.lineOf('spec.runStrategy')).toBe(9);
  });

  it('maps a list item to the line it starts on', () => {
    expect(vm?.lineOf('spec.template.spec.domain.devices.disks[1]')).toBe(18);
  });

  it('maps an annotation key written with dots and a slash', () => {
    expect(vm?.lineOf('metadata.annotations[hooks.kubevirt.io/hookSidecars]')).toBe(7);
  });

  it('maps a missing required field to the line of its parent', () => {
    expect(vm?.lineOf('spec.template.spec.volumes[0].containerDisk.imagePullPolicy')).toBe(21);
    expect(vm?.lineOf('spec.template.spec.domain.devices.disks[1].disk')).toBe(18);
    expect(vm?.lineOf('spec.template.spec.domain.memory')).toBe(12);
  });

  it('maps a missing top-level field to the document start', () => {
    const [doc] = objects('# c\n\napiVersion: v1\nkind: X\n');
    expect(doc?.lineOf('metadata')).toBe(3);
  });

  it('maps a field inside a flow mapping to its own line', () => {
    const [doc] = objects('a:\n  b: {c: 1,\n    d: 2}\n');
    expect(doc?.lineOf('a.b.d')).toBe(3);
  });
});

describe('parseYamlDocuments: streams', () => {
  it('numbers documents by their place in the stream and skips empty ones', () => {
    const docs = objects('a: 1\n---\n---\n# only a comment\n---\nb: 2\n---\n~\n');
    expect(docs.map((d) => [d.index, d.line, d.value])).toEqual([[0, 1, { a: 1 }], [3, 6, { b: 2 }]]);
  });

  it('maps lines within a later document to lines of the whole file', () => {
    const [, second] = objects('a: 1\n---\nkind: X\nspec:\n  x: 1\n');
    expect(second?.lineOf('spec.x')).toBe(5);
  });

  it('returns nothing for an empty input or one of only comments', () => {
    expect(parseYamlDocuments('')).toEqual([]);
    expect(parseYamlDocuments('# nothing here\n')).toEqual([]);
  });

  it('reads JSON', () => {
    const [doc] = objects('{\n  "kind": "VirtualMachine",\n  "spec": {\n    "running": true\n  }\n}\n');
    expect(doc?.value).toEqual({ kind: 'VirtualMachine', spec: { running: true } });
    expect(doc?.lineOf('spec.running')).toBe(4);
  });
});

describe('parseYamlDocuments: malformed YAML', () => {
  it('reports the line and the parser message of a syntax error, without the source excerpt', () => {
    const docs = parseYamlDocuments('a: 1\n---\nb: [1, 2\nc: 3\n');
    expect(docs[0]?.kind).toBe('object');
    const bad = docs[1] as MalformedDoc;
    expect(bad.kind).toBe('malformed');
    expect(bad.index).toBe(1);
    expect(bad.startLine).toBe(3);
    expect(bad.line).toBeGreaterThanOrEqual(3);
    expect(bad.message).not.toMatch(/\n/);
    expect(bad.message).not.toMatch(/at line \d+/);
    expect(bad.message.length).toBeGreaterThan(0);
  });

  it('reports a duplicate key on its line', () => {
    const [bad] = parseYamlDocuments('kind: A\nspec: {}\nkind: B\n') as MalformedDoc[];
    expect(bad).toMatchObject({ kind: 'malformed', line: 3 });
    expect(bad?.message).toMatch(/unique/i);
  });

  it('reports an alias to a missing anchor instead of throwing', () => {
    const [bad] = parseYamlDocuments('a: *nowhere\n') as MalformedDoc[];
    expect(bad).toMatchObject({ kind: 'malformed', line: 1 });
    expect(bad?.message).toMatch(/alias/i);
  });

  it('refuses alias expansion bombs', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const [bad] = parseYamlDocuments(`${lines.join('\n')}\n`) as MalformedDoc[];
    expect(bad?.kind).toBe('malformed');
    expect(bad?.message).toMatch(/alias/i);
  });
});

describe('parseYamlDocuments: encodings', () => {
  it('reads a byte-order mark and CRLF line ends, and counts lines alike', () => {
    const [doc] = objects('\uFEFFapiVersion: v1\r\nkind: X\r\nspec:\r\n  a: 1\r\n');
    expect(doc?.value).toEqual({ apiVersion: 'v1', kind: 'X', spec: { a: 1 } });
    expect([doc?.line, doc?.lineOf('spec.a')]).toEqual([1, 4]);
  });
});

describe('parseYamlDocuments: scalars read as the API server reads them', () => {
  const [doc] = objects(['model: e1000', 'mac: 52:54:00:12:34:56', 'at: 12:30', 'day: 2001-12-14', 'on: yes', 'mode: 0755', 'size: 1.5', 'big: 1e3', 'inf: .inf', 'dot: .'].join('\n'));
  const v = doc?.value as Record<string, unknown>;

  it('keeps words and colon-separated digits as strings', () => {
    expect(v.model).toBe('e1000');
    expect(v.mac).toBe('52:54:00:12:34:56');
    expect(v.at).toBe('12:30');
    expect(v.day).toBe('2001-12-14');
    expect(v.dot).toBe('.');
  });

  it('reads YAML 1.1 booleans and octals like go-yaml v2', () => {
    expect(v.true).toBe(true); // the key `on` is itself a YAML 1.1 boolean
    expect(v.mode).toBe(0o755);
  });

  it('reads numbers', () => {
    expect([v.size, v.big, v.inf]).toEqual([1.5, 1000, Infinity]);
  });
});
