import type { VirtualMachineInstance } from '../../api/index.js';
import { vmiSpec, withVolume } from '../../api/testing/manifests.js';
import { boundedName, launcherPod, type LauncherPodOptions } from './launcher-pod.js';
import { LAUNCHER_MEMORY_OVERHEAD_BYTES, launcherResources } from './launcher-resources.js';
import { baselineViolations } from './testing/pod-security-baseline.js';
import type { PodManifest } from './pod-manifest.js';

const OPTS: LauncherPodOptions = { image: 'localhost/virtstack/launcher:dev', imagePullPolicy: 'IfNotPresent', requireKvm: false };

function vmi(mut: (v: VirtualMachineInstance) => void = () => {}): VirtualMachineInstance {
  const v: VirtualMachineInstance = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'guest', namespace: 'ns1', uid: 'uid-1', labels: { app: 'web' }, annotations: { note: 'x', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
    spec: vmiSpec(),
  };
  mut(v);
  return v;
}

const SECURITY = { runAsUser: 107, runAsGroup: 107, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
const HOLD_RESOURCES = { requests: { cpu: '1m', memory: '1M' }, limits: { cpu: '10m', memory: '40M' } };

describe('launcherPod', () => {
  it('renders the whole pod for a containerDisk VMI exactly', () => {
    const pod = launcherPod(vmi(), OPTS);
    const expected: PodManifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: 'virt-launcher-guest-',
        namespace: 'ns1',
        labels: { app: 'web', 'kubevirt.io': 'virt-launcher', 'kubevirt.io/created-by': 'uid-1', 'vm.kubevirt.io/name': 'guest', 'kubevirt.io/domain': 'guest' },
        annotations: { note: 'x', 'kubevirt.io/domain': 'guest', 'kubectl.kubernetes.io/default-container': 'compute' },
        ownerReferences: [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', name: 'guest', uid: 'uid-1', controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        hostname: 'guest',
        securityContext: { runAsUser: 107, runAsGroup: 107, fsGroup: 107, runAsNonRoot: true, sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] },
        shareProcessNamespace: true,
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 60,
        nodeSelector: { 'kubevirt.io/schedulable': 'true' },
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        initContainers: [{
          name: 'hold-binary',
          image: 'localhost/virtstack/launcher:dev',
          imagePullPolicy: 'IfNotPresent',
          command: ['cp', '/usr/local/bin/virtstack-hold', '/var/run/virtstack/hold/virtstack-hold'],
          resources: HOLD_RESOURCES,
          securityContext: SECURITY,
          volumeMounts: [{ name: 'hold', mountPath: '/var/run/virtstack/hold' }],
          terminationMessagePolicy: 'FallbackToLogsOnError',
        }],
        containers: [
          {
            name: 'compute',
            image: 'localhost/virtstack/launcher:dev',
            imagePullPolicy: 'IfNotPresent',
            command: ['tini', '-s', '--', 'env', 'UV_THREADPOOL_SIZE=16', 'node', '/opt/virtstack/dist/virt/cmd/launcher.js', '--pod'],
            resources: {
              requests: { memory: '308Mi', cpu: '100m', 'devices.kubevirt.io/tun': '1' },
              limits: { 'devices.kubevirt.io/tun': '1' },
            },
            securityContext: SECURITY,
            volumeMounts: [
              { name: 'sockets', mountPath: '/var/run/kubevirt/sockets' },
              { name: 'runtime', mountPath: '/var/run/kubevirt-private' },
              { name: 'ephemeral', mountPath: '/run/virtstack-vm/ephemeral' },
            ],
            terminationMessagePolicy: 'FallbackToLogsOnError',
          },
          {
            name: 'volumerootdisk',
            image: 'example.org/guest:1.0',
            imagePullPolicy: 'IfNotPresent',
            command: ['/var/run/virtstack/hold/virtstack-hold', 'virtstack-container-disk=rootdisk'],
            resources: HOLD_RESOURCES,
            securityContext: SECURITY,
            volumeMounts: [{ name: 'hold', mountPath: '/var/run/virtstack/hold', readOnly: true }],
            terminationMessagePolicy: 'FallbackToLogsOnError',
          },
        ],
        volumes: [
          { name: 'sockets', emptyDir: {} },
          { name: 'runtime', emptyDir: {} },
          { name: 'ephemeral', emptyDir: {} },
          { name: 'hold', emptyDir: {} },
        ],
      },
    };
    expect(pod).toEqual(expected);
  });

  it('passes Pod Security baseline, with every volume kind and kernel boot', () => {
    const pod = launcherPod(vmi((v) => {
      v.spec = vmiSpec(
        withVolume({ name: 'data', persistentVolumeClaim: { claimName: 'pvc-1' } }),
        withVolume({ name: 'ci', cloudInitNoCloud: { secretRef: { name: 'ud' }, networkDataSecretRef: { name: 'nd' } } }),
        withVolume({ name: 'scratch', emptyDisk: { capacity: '1Gi' } }),
      );
      v.spec.domain.firmware = { kernelBoot: { container: { image: 'example.org/kernel:1' }, kernelArgs: 'console=ttyS0' } };
    }), { ...OPTS, requireKvm: true });
    expect(baselineViolations(pod)).toEqual([]);
  });

  it('the baseline check catches what baseline forbids (so the test above can fail)', () => {
    const pod = launcherPod(vmi(), OPTS);
    pod.spec.hostPID = true;
    pod.spec.volumes!.push({ name: 'h', hostPath: { path: '/' } });
    pod.spec.securityContext!.sysctls!.push({ name: 'net.ipv4.ip_forward', value: '1' });
    const c = pod.spec.containers[0]!;
    c.securityContext = { ...c.securityContext, privileged: true, capabilities: { add: ['NET_ADMIN', 'CHOWN'] }, procMount: 'Unmasked', seccompProfile: { type: 'Unconfined' } };
    c.ports = [{ containerPort: 80, hostPort: 8080 }];
    expect(baselineViolations(pod).sort()).toEqual([
      'privileged: container compute is privileged',
      'capabilities: container compute adds NET_ADMIN',
      'hostPorts: container compute uses hostPort 8080',
      'procMount: container compute uses procMount Unmasked',
      'seccompProfile: container compute is Unconfined',
      'hostNamespaces: hostPID=true is forbidden',
      'hostPathVolumes: volume h is a hostPath',
      'sysctls: net.ipv4.ip_forward is not a safe sysctl',
    ].sort());
  });

  it('mounts PVCs and DataVolumes (as the claim of the same name) at vmi-disks/<volume>, Secrets once at secrets/<name>', () => {
    const pod = launcherPod(vmi((v) => {
      v.spec = vmiSpec(
        withVolume({ name: 'data', persistentVolumeClaim: { claimName: 'pvc-1', readOnly: true } }),
        withVolume({ name: 'root', dataVolume: { name: 'dv-root' } }),
        withVolume({ name: 'ci', cloudInitNoCloud: { secretRef: { name: 'ud' }, networkDataSecretRef: { name: 'ud' } } }),
      );
    }), OPTS);
    expect(pod.spec.volumes!.slice(4)).toEqual([
      { name: 'vol-data', persistentVolumeClaim: { claimName: 'pvc-1', readOnly: true } },
      { name: 'vol-root', persistentVolumeClaim: { claimName: 'dv-root' } },
      { name: 'secret-ud', secret: { secretName: 'ud' } },
    ]);
    expect(pod.spec.containers[0]!.volumeMounts!.slice(3)).toEqual([
      { name: 'vol-data', mountPath: '/run/virtstack-vm/vmi-disks/data', readOnly: true },
      { name: 'vol-root', mountPath: '/run/virtstack-vm/vmi-disks/root' },
      { name: 'secret-ud', mountPath: '/run/virtstack-vm/secrets/ud', readOnly: true },
    ]);
  });

  it('kernelBoot from an image: a kernel-boot hold container with its own marker and pull secret', () => {
    const pod = launcherPod(vmi((v) => {
      v.spec = vmiSpec((s) => { s.volumes = []; s.domain.devices.disks = []; });
      v.spec.domain.firmware = { kernelBoot: { container: { image: 'example.org/kernel:1', imagePullPolicy: 'Never', imagePullSecret: 'creds' } } };
    }), OPTS);
    const kb = pod.spec.containers.find((c) => c.name === 'kernel-boot');
    expect(kb?.command).toEqual(['/var/run/virtstack/hold/virtstack-hold', 'virtstack-kernel-boot']);
    expect(kb?.imagePullPolicy).toBe('Never');
    expect(pod.spec.imagePullSecrets).toEqual([{ name: 'creds' }]);
    expect(pod.spec.initContainers?.map((c) => c.name)).toEqual(['hold-binary']);
  });

  it('without disk containers there is no init container and no hold volume', () => {
    const pod = launcherPod(vmi((v) => { v.spec = vmiSpec((s) => { s.volumes = [{ name: 'rootdisk', persistentVolumeClaim: { claimName: 'c' } }]; }); }), OPTS);
    expect(pod.spec.initContainers).toEqual([]);
    expect(pod.spec.volumes!.map((v) => v.name)).toEqual(['sockets', 'runtime', 'ephemeral', 'vol-rootdisk']);
  });

  it('scheduling: the VMI nodeSelector plus kubevirt.io/schedulable, affinity and tolerations unchanged', () => {
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } };
    const pod = launcherPod(vmi((v) => {
      v.spec.nodeSelector = { disk: 'ssd' };
      v.spec.affinity = affinity;
      v.spec.tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'vms', effect: 'NoSchedule' }];
    }), OPTS);
    expect(pod.spec.nodeSelector).toEqual({ disk: 'ssd', 'kubevirt.io/schedulable': 'true' });
    expect(pod.spec.affinity).toEqual(affinity);
    expect(pod.spec.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'vms', effect: 'NoSchedule' }]);
  });

  it('grace period: the VMI\'s plus the margin; hostname from spec.hostname; a template kubevirt.io/domain label wins', () => {
    const pod = launcherPod(vmi((v) => {
      v.spec.terminationGracePeriodSeconds = 5;
      v.spec.hostname = 'web-1';
      v.metadata.labels = { 'kubevirt.io/domain': 'frontend' };
    }), OPTS);
    expect(pod.spec.terminationGracePeriodSeconds).toBe(35);
    expect(pod.spec.hostname).toBe('web-1');
    expect(pod.metadata.labels?.['vm.kubevirt.io/name']).toBe('web-1');
    expect(pod.metadata.labels?.['kubevirt.io/domain']).toBe('frontend');
    expect(pod.metadata.annotations?.['kubevirt.io/domain']).toBe('guest');
  });

  it('the launcher gets the controller\'s log level', () => {
    expect(launcherPod(vmi(), { ...OPTS, logLevel: 'debug' }).spec.containers[0]!.env).toEqual([{ name: 'VIRTSTACK_LOG_LEVEL', value: 'debug' }]);
  });

  it('long volume names stay valid container and volume names, distinct by hash', () => {
    const long = 'a'.repeat(60);
    expect(boundedName('volume', 'rootdisk')).toBe('volumerootdisk');
    const n1 = boundedName('volume', long);
    const n2 = boundedName('volume', `${'a'.repeat(59)}b`);
    expect(n1.length).toBeLessThanOrEqual(63);
    expect(n1).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(n1).not.toBe(n2);
    expect(boundedName('secret-', 'my.secret')).toMatch(/^secret-my-secret-[0-9a-f]{10}$/);
  });
});

describe('launcherResources', () => {
  it('memory = guest + overhead; cpu 100m per vCPU; limits only where the VMI sets them; kvm only when required', () => {
    const spec = vmiSpec((s) => { s.domain.memory = { guest: '1Gi' }; s.domain.cpu = { sockets: 2, cores: 2, threads: 1 }; });
    expect(launcherResources(spec, true)).toEqual({
      requests: { memory: `${1024 + LAUNCHER_MEMORY_OVERHEAD_BYTES / 2 ** 20}Mi`, cpu: '400m', 'devices.kubevirt.io/tun': '1', 'devices.kubevirt.io/kvm': '1' },
      limits: { 'devices.kubevirt.io/tun': '1', 'devices.kubevirt.io/kvm': '1' },
    });
  });

  it('an explicit request and limits are honoured (the memory limit also carries the overhead)', () => {
    const spec = vmiSpec((s) => { s.domain.memory = { guest: '256Mi' }; s.domain.resources = { requests: { memory: '512Mi', cpu: '1500m' }, limits: { memory: '1Gi', cpu: '2' } }; });
    expect(launcherResources(spec, false)).toEqual({
      requests: { memory: '692Mi', cpu: '1500m', 'devices.kubevirt.io/tun': '1' },
      limits: { memory: '1204Mi', cpu: '2', 'devices.kubevirt.io/tun': '1' },
    });
  });
});
