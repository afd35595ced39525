// The third-party binaries virtstack builds from the Go module proxy, one wrapper module each.
// Versions are pinned here and in each wrapper's go.mod; the cache folder is keyed by them.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Product {
  /** Name used on the command line and in the cache folder. */
  readonly name: string;
  /** Version of the product (the cache folder is `<name>-<version>`). */
  readonly version: string;
  /** What it is, one line, for --help. */
  readonly description: string;
  /** The upstream module named in errors, as `path@version`. */
  readonly upstream: string;
  /** Wrapper module folder under toolchain/. */
  readonly wrapper: string;
  /** Main packages built with one `go build -o DIR/`, in the wrapper module's build list. */
  readonly packages: readonly string[];
  /** Binary names `go build` writes (the last element of each package path unless renamed). */
  readonly outputs: readonly string[];
  readonly tags: readonly string[];
  readonly ldflags: readonly string[];
  /** Files copied from a module of the build list into the output folder, made executable. */
  readonly copies?: readonly { module: string; from: string; to: string }[];
  /** Renames done after the build (e.g. the etcd server module's root builds as `server`). */
  readonly renames?: readonly { from: string; to: string }[];
  /**
   * Files copied from a module of the build list into the wrapper module before `go build`, for mains
   * that `go:embed` what upstream generates at build time. They are build products, not inputs: the
   * cache key skips them (the module version in go.mod already decides their content).
   */
  readonly generated?: readonly { module: string; from: string; to: string }[];
  /**
   * Newer upstream releases not served when the pin was chosen, as `path@version` with the release
   * name: `npm run toolchain -- --newer <name>` asks the proxy for each and says what it answered.
   */
  readonly newer?: readonly { release: string; module: string }[];
  /** Set when the proxy reachable here does not serve the product: building it is refused with this reason. */
  readonly unavailable?: string;
}

export const KUBERNETES_VERSION = 'v1.34.4';
export const ETCD_VERSION = 'v3.6.16';
export const PULUMI_VERSION = 'v3.259.0';
export const LOCAL_PATH_PROVISIONER_VERSION = 'v0.0.30';
/** Upstream's YAML language host: the newest pulumi-yaml release the proxy serves (2026-12-02). */
export const PULUMI_YAML_VERSION = 'v1.25.0';
/**
 * Upstream pulumi-kubernetes' release whose provider module the proxy serves (as a pseudo-version): the
 * project's one `pulumi-resource-kubernetes`, matching npm `@pulumi/kubernetes` and PyPI `pulumi_kubernetes`.
 */
export const PULUMI_KUBERNETES_UPSTREAM_VERSION = 'v4.25.0';
const PULUMI_KUBERNETES_PROVIDER = 'github.com/pulumi/pulumi-kubernetes/provider/v4';

function kubeVersionFlags(): string[] {
  const [major, minor] = KUBERNETES_VERSION.slice(1).split('.');
  const flags: string[] = [];
  // Without these, nodes and `kubectl version` report v0.0.0-master+$Format:%H$, and the kubelet's
  // version skew checks against the apiserver misfire.
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    flags.push(
      `-X ${pkg}.gitVersion=${KUBERNETES_VERSION}`,
      `-X ${pkg}.gitMajor=${major}`,
      `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitTreeState=clean`,
      `-X ${pkg}.buildDate=2026-02-10T12:53:36Z`,
    );
  }
  return flags;
}

export const PRODUCTS: readonly Product[] = [
  {
    name: 'kubernetes',
    version: KUBERNETES_VERSION,
    description: 'kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl',
    upstream: `k8s.io/kubernetes@${KUBERNETES_VERSION}`,
    wrapper: 'kubernetes',
    packages: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl'].map(
      (c) => `k8s.io/kubernetes/cmd/${c}`,
    ),
    outputs: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl'],
    // Upstream's release tags: selinux support compiled in, test-only code and gRPC tracing out.
    tags: ['selinux', 'notest', 'grpcnotrace'],
    ldflags: kubeVersionFlags(),
  },
  {
    name: 'etcd',
    version: ETCD_VERSION,
    description: 'etcd server (Debian ships 3.4, older than Kubernetes 1.34 supports)',
    upstream: `go.etcd.io/etcd/server/v3@${ETCD_VERSION}`,
    wrapper: 'etcd',
    packages: ['go.etcd.io/etcd/server/v3'],
    // `go build` names a binary after the path element before a major-version suffix: `server`.
    outputs: ['server'],
    renames: [{ from: 'server', to: 'etcd' }],
    tags: [],
    ldflags: [],
  },
  {
    name: 'pulumi',
    version: PULUMI_VERSION,
    description: 'Pulumi CLI, virtstack\'s Node.js, Python and Go language hosts (programs and SDK generation), the dynamic-provider shims',
    upstream: `github.com/pulumi/pulumi/pkg/v3@${PULUMI_VERSION}`,
    wrapper: 'pulumi',
    // The hosts generate SDKs with upstream's generators in pkg/v3/codegen (the CLI calls their
    // GeneratePackage and Link for `pulumi package gen-sdk` and `pulumi package add`).
    packages: [
      'github.com/pulumi/pulumi/pkg/v3/cmd/pulumi',
      './cmd/pulumi-language-nodejs',
      './cmd/pulumi-language-python',
      './cmd/pulumi-language-go',
    ],
    outputs: ['pulumi', 'pulumi-language-nodejs', 'pulumi-language-python', 'pulumi-language-go'],
    tags: ['osusergo', 'grpcnotrace'],
    ldflags: [
      `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${PULUMI_VERSION}`,
      `-X main.version=${PULUMI_VERSION.slice(1)}`,
    ],
    // Shipped inside the sdk/v3 module zip: the launchers the CLI runs for dynamic providers, and the
    // script the Python host runs programs with.
    copies: [
      { module: 'github.com/pulumi/pulumi/sdk/v3', from: 'nodejs/dist/pulumi-resource-pulumi-nodejs', to: 'pulumi-resource-pulumi-nodejs' },
      { module: 'github.com/pulumi/pulumi/sdk/v3', from: 'python/dist/pulumi-resource-pulumi-python', to: 'pulumi-resource-pulumi-python' },
      { module: 'github.com/pulumi/pulumi/sdk/v3', from: 'python/cmd/pulumi-language-python-exec', to: 'pulumi-language-python-exec' },
    ],
  },
  {
    name: 'pulumi-yaml',
    version: PULUMI_YAML_VERSION,
    description: 'upstream\'s Pulumi YAML language host (pulumi-language-yaml), for `runtime: yaml` programs',
    upstream: `github.com/pulumi/pulumi-yaml@${PULUMI_YAML_VERSION}`,
    wrapper: 'pulumi-yaml',
    packages: ['github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml'],
    outputs: ['pulumi-language-yaml'],
    tags: ['osusergo', 'grpcnotrace'],
    ldflags: [`-X github.com/pulumi/pulumi-yaml/pkg/version.Version=${PULUMI_YAML_VERSION}`],
  },
  {
    name: 'local-path-provisioner',
    version: LOCAL_PATH_PROVISIONER_VERSION,
    description: 'rancher local-path-provisioner: dynamic PersistentVolumes on node-local folders',
    upstream: `github.com/rancher/local-path-provisioner@${LOCAL_PATH_PROVISIONER_VERSION}`,
    wrapper: 'local-path-provisioner',
    packages: ['github.com/rancher/local-path-provisioner'],
    outputs: ['local-path-provisioner'],
    tags: [],
    ldflags: [],
  },
  {
    name: 'pulumi-kubernetes-upstream',
    version: PULUMI_KUBERNETES_UPSTREAM_VERSION,
    description: 'upstream\'s pulumi-resource-kubernetes for @pulumi/kubernetes and pulumi_kubernetes 4.25.0 (the newest release commit served)',
    // The provider module has no tags of its own; this is the pseudo-version of the v4.25.0 commit.
    upstream: `${PULUMI_KUBERNETES_PROVIDER}@v4.0.0-20260115033456-f47bc2d6f199`,
    wrapper: 'pulumi-kubernetes-upstream',
    packages: ['./cmd/pulumi-resource-kubernetes'],
    outputs: ['pulumi-resource-kubernetes'],
    tags: [],
    // The engine loads the plugin by the version it reports, which must be the npm/PyPI package's.
    ldflags: [
      `-X main.version=${PULUMI_KUBERNETES_UPSTREAM_VERSION.slice(1)}`,
      `-X ${PULUMI_KUBERNETES_PROVIDER}/pkg/version.Version=${PULUMI_KUBERNETES_UPSTREAM_VERSION.slice(1)}`,
    ],
    // Upstream's main embeds files its generate.go writes; the module zip holds their sources beside it.
    generated: [
      { module: PULUMI_KUBERNETES_PROVIDER, from: 'cmd/pulumi-resource-kubernetes/schema.json', to: 'cmd/pulumi-resource-kubernetes/schema-embed.json' },
      {
        module: PULUMI_KUBERNETES_PROVIDER,
        from: 'cmd/pulumi-resource-kubernetes/terraform-mapping.json',
        to: 'cmd/pulumi-resource-kubernetes/terraform-mapping-embed.json',
      },
    ],
    // Refused on 2026-12-01 ("This module version is not available"): the v4.32.0 release commit.
    newer: [{ release: 'v4.32.0', module: `${PULUMI_KUBERNETES_PROVIDER}@v4.0.0-20260608201737-a03ff6ba58d2` }],
  },
];

/** Products `npm run toolchain` builds when no name is given: everything that can be built here. */
export const DEFAULT_PRODUCTS: readonly string[] = PRODUCTS.filter((p) => !p.unavailable).map((p) => p.name);

export function product(name: string): Product {
  const p = PRODUCTS.find((x) => x.name === name);
  if (!p) throw new Error(`no toolchain product '${name}' (have: ${PRODUCTS.map((x) => x.name).join(', ')})`);
  return p;
}

/** `$XDG_CACHE_HOME/virtstack` or `~/.cache/virtstack`. */
export function cacheRoot(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'virtstack');
}

/** The folder holding a product's binaries once built. */
export function productDir(name: string): string {
  const p = product(name);
  return join(cacheRoot(), 'bin', `${p.name}-${p.version}`);
}

/** Absolute path of one binary of a product, e.g. `toolPath('kubernetes', 'kubelet')`. */
export function toolPath(name: string, binary: string): string {
  return join(productDir(name), binary);
}

/** The repository root: the nearest folder above this file with the toolchain's wrapper modules. */
export function repoRoot(): string {
  // This file runs from toolchain/ (tests) or dist/toolchain/ (compiled); walk up rather than assume.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'toolchain', 'kubernetes', 'go.mod'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the virtstack repository above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The repository's toolchain/ folder. */
export function toolchainSourceDir(): string {
  return join(repoRoot(), 'toolchain');
}
