// A VM booting a disk image imported over HTTP: a DataVolume downloads the image (qcow2, raw, .gz/.xz)
// into a PersistentVolumeClaim — `pulumi up` shows its progress and waits for Succeeded, or fails with the
// importer's error — and a VirtualMachine boots that claim. Changing the DataVolume's args (URL, size)
// replaces the disk (a DataVolume's spec is immutable), which `pulumi preview` shows. Runs on a cluster with
// virtstack installed (or upstream KubeVirt and CDI). Stack config:
//   virtstack:imageUrl     the disk image's http(s) URL (required)
//   virtstack:diskSize     the disk's size (default 64Mi; at least the image's virtual size)
//   virtstack:namespace    where the DataVolume and VM go (default virtstack-from-image)
//   virtstack:timeoutSeconds   how long the import may take (default 600)
// (A VM's own spec.dataVolumeTemplates does the same in one object; this keeps the disk a resource of its own.)
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { DataVolume, VirtualMachine } from '../../components/index.js';

const config = new pulumi.Config('virtstack');
const imageUrl = config.require('imageUrl');
const diskSize = config.get('diskSize') ?? '64Mi';
const namespace = config.get('namespace') ?? 'virtstack-from-image';
const timeoutSeconds = config.getNumber('timeoutSeconds') ?? 600;

// Launcher pods need no more than Pod Security baseline; importer pods fit restricted.
const ns = new k8s.core.v1.Namespace(namespace, { metadata: { name: namespace, labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } });

const disk = new DataVolume('root-disk', {
  name: 'root-disk',
  namespace: ns.metadata.name,
  source: { http: { url: imageUrl } },
  storage: { resources: { requests: { storage: diskSize } } },
  timeoutSeconds,
});

const vm = new VirtualMachine('from-image', {
  namespace: ns.metadata.name,
  template: {
    metadata: { labels: { app: 'from-image' } },
    spec: {
      domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] } },
      volumes: [{ name: 'root', dataVolume: { name: disk.name } }],
    },
  },
}, { dependsOn: [disk] });

export const diskPhase = disk.phase;
export const diskClaim = disk.claimName;
export const diskRestarts = disk.restartCount;
export const vmStatus = vm.printableStatus;
export const ip = vm.ipAddress;
export const nodeName = vm.nodeName;
