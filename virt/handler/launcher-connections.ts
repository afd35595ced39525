// One protocol connection per launcher pod on this node, opened on first use through the kubelet's pod
// folder (the socket lives in the pod's own emptyDir) and dropped when the pod or its launcher goes.
import { existsSync } from 'node:fs';
import type { Pod } from '../kube/core-types.js';
import type { Logger } from '../logger/logger.js';
import { LauncherClient } from '../protocol/client.js';
import { launcherSocketOnNode } from '../protocol/launcher-pod.js';
import type { LauncherConnector } from './vmi-sync.js';

export class LauncherConnections implements LauncherConnector {
  private readonly open = new Map<string, Promise<LauncherClient>>();

  constructor(
    private readonly kubeletRootDir: string,
    private readonly log: Logger,
  ) {}

  socketOf(podUid: string): string {
    return launcherSocketOnNode(this.kubeletRootDir, podUid);
  }

  /** The pod's launcher connection (calls, and streams for the endpoint's console and vnc). */
  async get(pod: Pod): Promise<LauncherClient | undefined> {
    const uid = pod.metadata.uid;
    if (!uid) return undefined;
    const path = this.socketOf(uid);
    let client = this.open.get(uid);
    if (!client) {
      if (!existsSync(path)) return undefined;
      client = LauncherClient.connect(path);
      this.open.set(uid, client);
      client.catch(() => this.open.delete(uid));
    }
    try {
      return await client;
    } catch (err) {
      this.log.debug('launcher socket not answering yet', { pod: pod.metadata.name, namespace: pod.metadata.namespace, error: (err as Error).message });
      return undefined;
    }
  }

  drop(podUid: string): void {
    const c = this.open.get(podUid);
    this.open.delete(podUid);
    void c?.then((x) => x.close(), () => undefined);
  }

  closeAll(): void {
    for (const uid of [...this.open.keys()]) this.drop(uid);
  }
}
