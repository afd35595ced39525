// The fixed layout every launcher gives its VM, identical on a migration's source and target so the domain
// XML needs no rewriting. In the launcher pod the image provides VM_ROOT (owned by the launcher user) and
// the kubelet mounts the volumes into it; the launcher adds the links to its sibling containers.
export const VM_ROOT = '/run/virtstack-vm';
export const VM_PATHS = {
  /** emptyDir `ephemeral`: launcher-private files: overlays, empty disks, the cloud-init ISO, the serial log, the VNC socket. */
  ephemeral: `${VM_ROOT}/ephemeral`,
  /** PersistentVolumeClaim/DataVolume volumes, mounted at <volume>/ and holding disk.img (KubeVirt's layout). */
  vmiDisks: `${VM_ROOT}/vmi-disks`,
  /** One link per containerDisk volume, <volume> -> /proc/<pid>/root/disk of its sibling container. */
  containerDisks: `${VM_ROOT}/container-disks`,
  /** A link to the kernel-boot container's root (/proc/<pid>/root); kernelPath/initrdPath resolve inside it. */
  kernelBoot: `${VM_ROOT}/kernel-boot`,
  /** Secrets referenced by cloudInitNoCloud, mounted at <secretName>/, one file per key. */
  secrets: `${VM_ROOT}/secrets`,
} as const;
