// Finds a host process of a pod by the pod's UID, from /proc/*/cgroup (the handler runs with hostPID). The
// kubelet puts every container of a pod, the sandbox's pause process included, under one pod cgroup named
// after the UID: `pod<uid>` with the cgroupfs driver (`/kubepods/besteffort/pod<uid>/<container id>`), and
// `kubepods-…-pod<uid with underscores>.slice` with the systemd driver (`…/cri-containerd-<id>.scope`).
// All processes of a pod share its network namespace, so any of them gives /proc/<pid>/ns/net; the pod's
// /etc/resolv.conf is only in an application container's root (the sandbox's pause image has none, and its
// cgroup looks like any container's), hence the preference for one container by id: the compute container.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PodProcess {
  pid: number;
  /** The container's id as the runtime names it (the hex id of containerStatuses[].containerID), when the cgroup path shows one. */
  containerId?: string;
}

export interface FindPodProcessOptions {
  /** Where the host's /proc is mounted. @default "/proc" */
  procRoot?: string;
  /**
   * Prefer a process of this container: `containerd://<id>` as in a pod's containerStatuses, or the bare id.
   * Without a match, any process of the pod is returned (the caller sees the container it got in the result).
   */
  containerId?: string;
  /** Only a process of `containerId`, never another container's. @default false */
  strict?: boolean;
}

const CONTAINER_ID = /(?:^|[-:])([0-9a-f]{64})(?:\.scope)?$/;

/** The bare container id of `containerd://<id>`, `cri-o://<id>`, `docker://<id>` or an id. */
export function bareContainerId(id: string): string {
  const i = id.indexOf('://');
  return i < 0 ? id : id.slice(i + 3);
}

/** Whether one segment of a cgroup path is the pod cgroup of `podUid` (cgroupfs or systemd naming). */
export function isPodSegment(segment: string, podUid: string): boolean {
  const uid = podUid.toLowerCase();
  const s = segment.toLowerCase();
  if (s === `pod${uid}`) return true;
  return s.endsWith(`-pod${uid.replace(/-/g, '_')}.slice`);
}

/**
 * Reads the contents of a /proc/<pid>/cgroup file (v1: `id:controllers:path` per hierarchy, v2: `0::path`)
 * and, when one of its paths runs through the pod cgroup of `podUid`, returns the container id found in the
 * path segment below it (undefined for a process directly in the pod cgroup); null when the process is not
 * the pod's.
 */
export function podContainerOfCgroup(cgroupFile: string, podUid: string): { containerId?: string } | null {
  for (const line of cgroupFile.split('\n')) {
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) continue;
    const segments = line.slice(second + 1).split('/').filter(Boolean);
    const at = segments.findIndex((s) => isPodSegment(s, podUid));
    if (at < 0) continue;
    const below = segments[at + 1];
    const id = below === undefined ? undefined : CONTAINER_ID.exec(below.toLowerCase())?.[1];
    return id === undefined ? {} : { containerId: id };
  }
  return null;
}

function isZombie(procRoot: string, pid: number): boolean {
  const stat = readFileSync(join(procRoot, String(pid), 'stat'), 'utf8');
  return stat.charAt(stat.lastIndexOf(')') + 2) === 'Z';
}

/** Every live (non-zombie) process of the pod, in pid order. Processes that end while being read are left out. */
export function podProcesses(podUid: string, procRoot = '/proc'): PodProcess[] {
  const out: PodProcess[] = [];
  for (const entry of readdirSync(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const found = podContainerOfCgroup(readFileSync(join(procRoot, entry, 'cgroup'), 'utf8'), podUid);
      if (!found || isZombie(procRoot, pid)) continue;
      out.push(found.containerId === undefined ? { pid } : { pid, containerId: found.containerId });
    } catch {
      // the process ended between readdir and read: not a candidate
    }
  }
  return out.sort((a, b) => a.pid - b.pid);
}

/**
 * One host process of the pod `podUid`, preferring `containerId`'s; undefined when the pod has no process
 * on this host (not started yet, already gone, or on another node).
 * @example findPodProcess(pod.metadata.uid, { containerId: status.containerID })?.pid
 */
export function findPodProcess(podUid: string, opts: FindPodProcessOptions = {}): PodProcess | undefined {
  const all = podProcesses(podUid, opts.procRoot);
  if (opts.containerId !== undefined) {
    const want = bareContainerId(opts.containerId).toLowerCase();
    const own = all.find((p) => p.containerId === want);
    if (own || opts.strict) return own;
  }
  return all[0];
}

/** The network namespace of a pod process, as a path nsenter takes. */
export function netnsOfPid(pid: number, procRoot = '/proc'): string {
  return join(procRoot, String(pid), 'ns', 'net');
}
