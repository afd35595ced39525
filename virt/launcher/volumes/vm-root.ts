// The fixed in-namespace layout every launcher gives its VM. Each launcher bind-mounts its own directories
// here inside its private mount namespace, so a migration's source and target see identical paths and
// the domain XML needs no rewriting.
export const VM_ROOT = '/run/virtstack-vm';
export const VM_PATHS = {
  /** Launcher-private files: overlays, empty disks, the cloud-init ISO, the serial log, the VNC socket. */
  ephemeral: `${VM_ROOT}/ephemeral`,
  /** PersistentVolumeClaim/DataVolume disks, one folder per volume holding disk.img (KubeVirt's layout). */
  vmiDisks: `${VM_ROOT}/vmi-disks`,
  /** containerDisk images, one folder per volume holding the image's disk file. */
  containerDisks: `${VM_ROOT}/container-disks`,
  /** kernelBoot files extracted from the kernel-boot container. */
  kernelBoot: `${VM_ROOT}/kernel-boot`,
  /** Secrets referenced by cloudInitNoCloud, one folder per secret, one file per key. */
  secrets: `${VM_ROOT}/secrets`,
} as const;
