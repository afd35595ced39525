// The launcher pod's layout: what the controller puts in the pod, where the launcher listens and where the
// handler finds it. Part of the handler <-> launcher contract, like upstream's virt-launcher pod template
// (one compute container, the socket in an emptyDir the handler reaches through the kubelet's pod folder).

/** uid and gid of the launcher's processes (QEMU's user in upstream's images). */
export const LAUNCHER_UID = 107;

export const LAUNCHER_POD = {
  /** The container that runs the launcher (upstream's name). */
  computeContainer: 'compute',
  /** emptyDir holding the launcher's protocol socket. */
  socketsVolume: 'sockets',
  socketsMountPath: '/var/run/kubevirt/sockets',
  socketFile: 'launcher.sock',
  /** emptyDir of launcher-private VM files (overlays, empty disks, cloud-init ISO, serial log). */
  ephemeralVolume: 'ephemeral',
  /** Mount path of the launcher's runtime state (libvirt session daemon's folders). */
  runtimeVolume: 'runtime',
  runtimeMountPath: '/var/run/kubevirt-private',
  /** The launcher's libvirt session daemon socket, relative to the runtime volume (sessionPaths() in the launcher). */
  daemonSocket: 'run/libvirt/libvirt-sock',
} as const;

/** Env of a migration target pod's compute container: the launcher waits for the incoming domain. */
export const MIGRATION_TARGET_ENV = 'VIRTSTACK_MIGRATION_TARGET';

/**
 * The migration's unix sockets in the sockets volume (issue 12). On the source pod the handler's relay
 * listens on them (the source daemon and QEMU connect); on the target pod the target QEMU listens on the
 * stream sockets itself (libvirt makes it listen on the path the source named), the handler connects.
 */
export const MIGRATION_SOCKETS = {
  /** The source daemon's peer-to-peer connection to the target daemon. */
  libvirt: 'migration-libvirt.sock',
  /** QEMU's memory stream (upstream's LibvirtDirectMigrationPort 49152). */
  memory: 'migration-49152.sock',
  /** The NBD stream of a block migration (upstream's LibvirtBlockMigrationPort 49153). */
  block: 'migration-49153.sock',
} as const;

/** A pod emptyDir's folder on its node, as the handler reaches it. */
export function emptyDirOnNode(kubeletRootDir: string, podUid: string, volume: string): string {
  return `${kubeletRootDir}/pods/${podUid}/volumes/kubernetes.io~empty-dir/${volume}`;
}

/**
 * Where the launcher pod mounts the VM's volumes: the launcher's fixed VM paths (its VM_PATHS in
 * virt/launcher/volumes/vm-root.ts hold the same values), so the controller writes the mounts without
 * importing the launcher.
 */
export const VM_VOLUME_MOUNTS = {
  /** emptyDir `ephemeral`: overlays, empty disks, the cloud-init ISO, the serial log. */
  ephemeral: '/run/virtstack-vm/ephemeral',
  /** One folder per PersistentVolumeClaim/DataVolume volume: `<vmiDisks>/<volume name>`. */
  vmiDisks: '/run/virtstack-vm/vmi-disks',
  /** One folder per Secret a cloudInitNoCloud volume references: `<secrets>/<secret name>`. */
  secrets: '/run/virtstack-vm/secrets',
} as const;

/** Labels and annotations, as upstream names them (a Service selects a VM's pod by these). */
export const LABELS = {
  app: 'kubevirt.io',
  /** value on launcher pods */
  appLauncher: 'virt-launcher',
  createdBy: 'kubevirt.io/created-by',
  domain: 'kubevirt.io/domain',
  vmName: 'vm.kubevirt.io/name',
  nodeName: 'kubevirt.io/nodeName',
  schedulable: 'kubevirt.io/schedulable',
  /** virtstack's: "kvm" or "tcg", what the handler's probe found on the node. */
  accelerator: 'virtstack.io/accelerator',
  /** upstream's: on a migration target pod, the UID of the migration it serves. */
  migrationJobUid: 'kubevirt.io/migrationJobUID',
  /** upstream's: on a VMI while a migration target waits on that node (its handler watches by it). */
  migrationTargetNodeName: 'kubevirt.io/migrationTargetNodeName',
} as const;

/** Extended resources the handler's device plugins advertise (upstream's names). */
export const DEVICES = {
  kvm: 'devices.kubevirt.io/kvm',
  tun: 'devices.kubevirt.io/tun',
} as const;

/** The handler's path to a launcher pod's socket on its node. */
export function launcherSocketOnNode(kubeletRootDir: string, podUid: string): string {
  return `${emptyDirOnNode(kubeletRootDir, podUid, LAUNCHER_POD.socketsVolume)}/${LAUNCHER_POD.socketFile}`;
}
