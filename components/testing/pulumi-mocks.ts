// Pulumi's mocks for the components' unit tests: every registered resource recorded with its inputs and
// options (parent, dependsOn) through a transformation, an in-memory cluster behind the components' own
// checks and waits, and a way to read an Output's value or rejection.
import * as pulumi from '@pulumi/pulumi';
import { setClusterConnector } from '../cluster-connection.js';
import { MemoryApi } from '../../virt/kube/testing/memory-api.js';

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** Names of the resources it depends on (dependsOn), as registered. */
  dependsOn: string[];
  parent: string | undefined;
}

export interface MockWorld {
  api: MemoryApi;
  /** Pass as the component's `transformations` option: records every resource it and its children register. */
  capture: pulumi.ResourceTransformation;
  registered: Registered[];
  byType(type: string): Registered[];
  one(type: string, name: string): Registered;
}

const nameOf = (r: pulumi.Resource): string => (r as unknown as { __name?: string }).__name ?? '?';

/** Installs the mocks and the in-memory cluster; call in beforeEach. */
export function mockWorld(): MockWorld {
  const api = new MemoryApi();
  const registered: Registered[] = [];
  const inputsByName = new Map<string, Record<string, unknown>>();
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        inputsByName.set(`${args.type}::${args.name}`, args.inputs as Record<string, unknown>);
        // As the Kubernetes provider does, the object comes back with a uid (a rendered one would not).
        const inputs = args.inputs as { metadata?: Record<string, unknown> };
        const state = args.type.startsWith('kubernetes:') ? { ...inputs, metadata: { ...inputs.metadata, uid: `${args.name}-uid` } } : inputs;
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs,
    },
    'virtstack',
    'unit',
    false,
  );
  setClusterConnector(() => api);
  const withInputs = (r: Registered): Registered => ({ ...r, inputs: inputsByName.get(`${r.type}::${r.name}`) ?? {} });
  const capture: pulumi.ResourceTransformation = (args) => {
    const deps = args.opts.dependsOn;
    registered.push({
      type: args.type,
      name: args.name,
      inputs: {},
      dependsOn: (Array.isArray(deps) ? deps : deps ? [deps] : []).map((d) => nameOf(d as pulumi.Resource)),
      parent: args.opts.parent ? nameOf(args.opts.parent) : undefined,
    });
    return undefined;
  };
  return {
    api,
    capture,
    registered,
    byType: (type) => registered.filter((r) => r.type === type).map(withInputs),
    one: (type, name) => {
      const r = registered.find((x) => x.type === type && x.name === name);
      if (!r) throw new Error(`no ${type} ${name} registered; registered: ${registered.map((x) => `${x.type} ${x.name}`).join(', ')}`);
      return withInputs(r);
    },
  };
}

/** The value of an Output (rejects as the Output does). */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
  return (o as unknown as { promise(): Promise<T> }).promise();
}

/** Lets every pending registration finish (mocks resolve asynchronously). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}
