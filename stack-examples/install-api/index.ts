// The root Pulumi project's program (Pulumi.yaml): installs the virtstack API — the CRDs generated from
// virt/api — on the cluster the Kubernetes provider points at (KUBECONFIG, or `kubernetes:kubeconfig`).
// The stack's processes and the KubeVirtInstall component join it in later issues; until then this is
// what `pulumi up` at the top of the repository does, for real.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';

// dist/stack-examples/install-api → the repository root
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const crdDir = join(repoRoot, 'virt', 'api', 'crds');
const files = readdirSync(crdDir).filter((f) => f.endsWith('.yaml')).sort();
if (files.length === 0) throw new pulumi.RunError(`no CRDs in ${crdDir}: run ./virtstack npm run generate`);

const crds = files.map(
  (f) =>
    new k8s.yaml.ConfigFile(f.slice(0, -'.yaml'.length), {
      file: join(crdDir, f),
      // The provider waits for each CRD to be Established, so objects of these kinds can follow in one update.
    }),
);

/** The CRDs as the cluster named them, read back from the created objects. */
export const crdNames = pulumi
  .all(crds.map((c, i) => c.getResource('apiextensions.k8s.io/v1/CustomResourceDefinition', files[i]!.slice(0, -'.yaml'.length)).metadata.name))
  .apply((names) => [...names].sort());
