// The streams one migration carries, as upstream's targetDirectMigrationNodePorts names them: each TCP port
// the target handler listens on maps to the launcher-side "port" it stands for — 0 for the daemons'
// peer-to-peer libvirt connection, 49152 for QEMU's memory stream, 49153 for a block migration's NBD
// stream. Here each of those ends in a unix socket of the launcher pods (virt/protocol's MIGRATION_SOCKETS).
import { LAUNCHER_POD, MIGRATION_SOCKETS, emptyDirOnNode } from '../../protocol/launcher-pod.js';

export const STREAMS = [
  { port: 0, name: 'libvirt' },
  { port: 49152, name: 'memory' },
  { port: 49153, name: 'block' },
] as const;
export type StreamName = (typeof STREAMS)[number]['name'];

export function streamOfPort(port: number): StreamName | undefined {
  return STREAMS.find((s) => s.port === port)?.name;
}

export function portOfStream(name: StreamName): number {
  return STREAMS.find((s) => s.name === name)!.port;
}

/** In the source pod: where the source daemon and QEMU connect (the source handler's relay listens there). */
export function sourceSocketOnNode(kubeletRootDir: string, podUid: string, stream: StreamName): string {
  return `${emptyDirOnNode(kubeletRootDir, podUid, LAUNCHER_POD.socketsVolume)}/${MIGRATION_SOCKETS[stream]}`;
}

/** In the target pod: what the target handler's relay connects to (the daemon's socket, or the one QEMU listens on). */
export function targetSocketOnNode(kubeletRootDir: string, podUid: string, stream: StreamName): string {
  if (stream === 'libvirt') return `${emptyDirOnNode(kubeletRootDir, podUid, LAUNCHER_POD.runtimeVolume)}/${LAUNCHER_POD.daemonSocket}`;
  return `${emptyDirOnNode(kubeletRootDir, podUid, LAUNCHER_POD.socketsVolume)}/${MIGRATION_SOCKETS[stream]}`;
}

/** The same sockets as the launchers see them in their pods: the URIs the source launcher migrates to. */
export function migrationUris(block: boolean): { uri: string; migrationUri: string; disksUri?: string } {
  const inPod = (s: StreamName) => `${LAUNCHER_POD.socketsMountPath}/${MIGRATION_SOCKETS[s]}`;
  return {
    uri: `qemu+unix:///session?socket=${inPod('libvirt')}`,
    migrationUri: `unix://${inPod('memory')}`,
    ...(block ? { disksUri: `unix://${inPod('block')}` } : {}),
  };
}
