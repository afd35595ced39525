// What the SDKs are published as. The inferred schema (provider/schema.json, what the plugin serves)
// carries no package names and no Go module: @pulumi/pulumi's analyzer writes only the name, version,
// description and types. These settings are added to it for code generation only, so the snapshot stays
// exactly what the plugin answers and the SDKs still get stable names.

/** A Pulumi package schema as far as this module reads or writes it. */
export interface PackageSchema {
  name: string;
  version?: string;
  meta?: Record<string, unknown>;
  language?: Record<string, Record<string, unknown>>;
  resources?: Record<string, unknown>;
  types?: Record<string, unknown>;
  [key: string]: unknown;
}

export const SDK_LANGUAGES = ['nodejs', 'python', 'go'] as const;
export type SdkLanguage = (typeof SDK_LANGUAGES)[number];

/** The npm package, the Python distribution/import package and the Go import path of the SDKs. */
export const SDK_NAMES = {
  nodejs: '@virtstack/pulumi',
  python: 'pulumi_virtstack',
  goImportBasePath: 'virtstack.local/sdk/go/virtstack',
} as const;

const ARGS = 'Args';

/**
 * SDK names for the schema's object types: the TypeScript interfaces end in `Args` (`DiskArgs`), and every
 * generator appends `Args` to an input type again (`DiskArgsArgs` in Python, Go and Node.js). So the SDKs
 * get the name without it (`Disk`, generated as `DiskArgs`), unless that name is taken by a component or
 * another type. Type tokens never travel between program and plugin (only the values do), so the SDKs and
 * the plugin's own schema may name types differently.
 */
export function sdkTypeNames(schema: PackageSchema): Map<string, string> {
  const prefix = `${schema.name}:index:`;
  const tokens = Object.keys(schema.types ?? {});
  const taken = new Set([...Object.keys(schema.resources ?? {}), ...tokens]);
  const renames = new Map<string, string>();
  for (const token of tokens) {
    if (!token.startsWith(prefix) || !token.endsWith(ARGS) || token.length === prefix.length + ARGS.length) continue;
    const renamed = token.slice(0, -ARGS.length);
    if (taken.has(renamed) || [...renames.values()].includes(renamed)) continue;
    renames.set(token, renamed);
  }
  return renames;
}

function renameRefs(value: unknown, refs: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => renameRefs(v, refs));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? (refs.get(v) ?? v) : renameRefs(v, refs)]));
}

/** The schema the SDKs are generated from: the inferred one with the SDK type names and the names above. */
export function codegenSchema(inferred: PackageSchema): PackageSchema {
  const language = inferred.language ?? {};
  const renames = sdkTypeNames(inferred);
  const refs = new Map([...renames].map(([from, to]) => [`#/types/${from}`, `#/types/${to}`]));
  return {
    ...inferred,
    resources: renameRefs(inferred.resources ?? {}, refs) as Record<string, unknown>,
    types: Object.fromEntries(Object.entries(inferred.types ?? {}).map(([token, t]) => [renames.get(token) ?? token, renameRefs(t, refs)])),
    // supportPack: the Go SDK gets a go.mod of its own (module virtstack.local/sdk/go), the Python SDK a
    // pyproject.toml, the Node.js SDK a package.json with the schema's version.
    meta: { ...inferred.meta, supportPack: true },
    language: {
      ...language,
      nodejs: { ...language.nodejs, packageName: SDK_NAMES.nodejs },
      python: { ...language.python, packageName: SDK_NAMES.python, pyproject: { enabled: true } },
      go: { ...language.go, importBasePath: SDK_NAMES.goImportBasePath },
    },
  };
}
