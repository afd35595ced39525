// Valid manifests written here (beside the corpus's) so the property test also starts from the fields the
// corpus lacks: firmware, CPU topology, resources, bridge binding, scheduling, dataVolumeTemplates, sources.
export const HAND_WRITTEN: readonly Record<string, unknown>[] = [
  {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'db', namespace: 'apps', labels: { app: 'db', tier: 'data' }, annotations: { 'example.org/owner': 'team-a' } },
    spec: {
      runStrategy: 'RerunOnFailure',
      dataVolumeTemplates: [{
        metadata: { name: 'db-root' },
        spec: { source: { http: { url: 'https://example.org/debian.qcow2', certConfigMap: 'ca' } }, storage: { resources: { requests: { storage: '10Gi' } } } },
      }],
      template: {
        metadata: { labels: { app: 'db' } },
        spec: {
          domain: {
            cpu: { cores: 2, sockets: 1, threads: 1 },
            memory: { guest: '2Gi' },
            resources: { requests: { memory: '2Gi', cpu: '500m' }, limits: { cpu: 2 } },
            firmware: { bootloader: { efi: { secureBoot: false } } },
            devices: {
              disks: [{ name: 'root', disk: { bus: 'virtio' } }, { name: 'scratch', disk: { bus: 'sata' } }, { name: 'cloudinit', disk: { bus: 'virtio' } }],
              interfaces: [{ name: 'default', masquerade: {}, ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }],
            },
          },
          networks: [{ name: 'default', pod: {} }],
          nodeSelector: { 'kubernetes.io/arch': 'amd64' },
          tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'vms', effect: 'NoSchedule' }],
          affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
          evictionStrategy: 'LiveMigrate',
          terminationGracePeriodSeconds: 30,
          volumes: [
            { name: 'root', dataVolume: { name: 'db-root' } },
            { name: 'scratch', emptyDisk: { capacity: '1Gi' } },
            { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config\npassword: x\n', networkData: 'version: 2\n' } },
          ],
        },
      },
    },
  },
  {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'kernel' },
    spec: {
      domain: {
        firmware: { kernelBoot: { kernelArgs: 'console=ttyS0', container: { image: 'example.org/kernel:1', kernelPath: '/boot/vmlinuz', initrdPath: '/boot/initrd' } } },
        memory: { guest: '256Mi' },
        devices: { disks: [{ name: 'data', disk: { bus: 'virtio' } }], interfaces: [{ name: 'net', bridge: {} }] },
      },
      networks: [{ name: 'net', pod: {} }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
    },
  },
  {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: { name: 'from-registry' },
    spec: { source: { registry: { url: 'docker://example.org/disk:1' } }, contentType: 'kubevirt', storage: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } },
  },
  {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceMigration',
    metadata: { generateName: 'move-' },
    spec: { vmiName: 'db' },
  },
];
