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

/** The schema the SDKs are generated from: the inferred one plus the names above. */
export function codegenSchema(inferred: PackageSchema): PackageSchema {
  const language = inferred.language ?? {};
  return {
    ...inferred,
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
