// What the converter needs beyond the VMI: facts the launcher established on its node (accelerator, where
// each volume's data is, how the pod network was prepared). Paths are as QEMU sees them inside the
// launcher's mount namespace, identical on a migration's source and target.
export type { Accelerator } from '../../protocol/messages.js';
import type { Accelerator } from '../../protocol/messages.js';

export interface ResolvedVolume {
  /** File or block device QEMU opens. */
  path: string;
  type: 'file' | 'block';
  format: 'raw' | 'qcow2';
  /** cache='none' needs O_DIRECT on the backing filesystem; the launcher checks and says which. */
  cache: 'none' | 'writeback';
  readonly?: boolean;
}

export type PodNetwork =
  /** No pod interface prepared by the handler: QEMU's user-mode NAT (built-in DHCP) behind the pod IP. */
  | { kind: 'user' }
  /** A tap device the handler created in the pod's network namespace. */
  | { kind: 'tap'; dev: string; mtu?: number };

export interface ConverterContext {
  accelerator: Accelerator;
  volumes: Readonly<Record<string, ResolvedVolume>>;
  podNetwork: PodNetwork;
  /** Kernel and initrd for kernelBoot, as extracted from the kernel-boot container. */
  kernelBoot?: { kernel?: string; initrd?: string };
  serialLog: string;
  vncSocket: string;
  /** OVMF firmware when the node has it (needed for bootloader.efi); `secure` when Secure Boot builds exist. */
  ovmf?: { code: string; varsTemplate: string; secure?: { code: string; varsTemplate: string }; vars: string };
}
