import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bareContainerId, findPodProcess, isPodSegment, netnsOfPid, podContainerOfCgroup, podProcesses } from './pod-process.js';

const UID = '5f0c3a7e-1b2d-4c3e-9f10-aa11bb22cc33';
const OTHER = '0d9e8f7a-6b5c-4d3e-8f21-112233445566';
const CID = 'a'.repeat(60) + '0123';
const SANDBOX = 'b'.repeat(64);

/** cgroup v1 with the cgroupfs driver under the local cluster's per-node cgroup root. */
const v1Cgroupfs = (uid: string, cid: string) =>
  [
    `12:pids:/virtstack-cluster/node-1/kubepods/besteffort/pod${uid}/${cid}`,
    `4:memory:/virtstack-cluster/node-1/kubepods/besteffort/pod${uid}/${cid}`,
    '1:name=systemd:/',
    '0::/',
  ].join('\n') + '\n';
const v2Systemd = (uid: string, cid: string) =>
  `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid.replace(/-/g, '_')}.slice/cri-containerd-${cid}.scope\n`;

describe('podContainerOfCgroup', () => {
  it('finds the pod and its container with the cgroupfs driver (dashes in the uid)', () => {
    expect(podContainerOfCgroup(v1Cgroupfs(UID, CID), UID)).toEqual({ containerId: CID });
  });

  it('finds the pod and its container with the systemd driver (underscores, .scope units)', () => {
    expect(podContainerOfCgroup(v2Systemd(UID, CID), UID)).toEqual({ containerId: CID });
  });

  it('a Guaranteed pod (no QoS level in the path) and a process directly in the pod cgroup', () => {
    expect(podContainerOfCgroup(`3:cpu:/kubepods/pod${UID}/${CID}\n`, UID)).toEqual({ containerId: CID });
    expect(podContainerOfCgroup(`3:cpu:/kubepods/pod${UID}\n`, UID)).toEqual({});
  });

  it('is null for another pod, for a host process, and for a uid that only appears inside a longer name', () => {
    expect(podContainerOfCgroup(v1Cgroupfs(OTHER, CID), UID)).toBeNull();
    expect(podContainerOfCgroup('4:memory:/process_api/37f5\n0::/\n', UID)).toBeNull();
    expect(podContainerOfCgroup(`4:memory:/kubepods/xpod${UID}/${CID}\n`, UID)).toBeNull();
  });

  it('matches the uid case-insensitively', () => {
    expect(podContainerOfCgroup(v1Cgroupfs(UID.toUpperCase(), CID), UID)).toEqual({ containerId: CID });
  });
});

describe('isPodSegment / bareContainerId', () => {
  it('names both drivers\' pod cgroups', () => {
    expect(isPodSegment(`pod${UID}`, UID)).toBe(true);
    expect(isPodSegment(`kubepods-besteffort-pod${UID.replace(/-/g, '_')}.slice`, UID)).toBe(true);
    expect(isPodSegment(`kubepods-besteffort-pod${UID}.slice`, UID)).toBe(false);
  });

  it('strips the runtime scheme of a containerStatuses id', () => {
    expect(bareContainerId(`containerd://${CID}`)).toBe(CID);
    expect(bareContainerId(CID)).toBe(CID);
  });
});

describe('findPodProcess over a /proc fixture', () => {
  let proc: string;
  const addProcess = (pid: number, cgroup: string, state = 'S') => {
    mkdirSync(join(proc, String(pid)), { recursive: true });
    writeFileSync(join(proc, String(pid), 'cgroup'), cgroup);
    writeFileSync(join(proc, String(pid), 'stat'), `${pid} (some (odd) name) ${state} 1 ${pid} ${pid} 0 -1\n`);
  };

  beforeEach(() => {
    proc = mkdtempSync(join(tmpdir(), 'vs-proc-'));
    mkdirSync(join(proc, 'self'));
    writeFileSync(join(proc, 'meminfo'), 'MemTotal: 1 kB\n');
    addProcess(1, '0::/\n');
    addProcess(300, v1Cgroupfs(UID, SANDBOX));
    addProcess(310, v1Cgroupfs(UID, CID));
    addProcess(311, v1Cgroupfs(UID, CID));
    addProcess(320, v1Cgroupfs(OTHER, CID));
    addProcess(330, v1Cgroupfs(UID, 'c'.repeat(64)), 'Z');
  });
  afterEach(() => rmSync(proc, { recursive: true, force: true }));

  it('lists the pod\'s live processes only', () => {
    expect(podProcesses(UID, proc)).toEqual([
      { pid: 300, containerId: SANDBOX },
      { pid: 310, containerId: CID },
      { pid: 311, containerId: CID },
    ]);
  });

  it('prefers the asked container, given as containerStatuses reports it', () => {
    expect(findPodProcess(UID, { procRoot: proc, containerId: `containerd://${CID}` })).toEqual({ pid: 310, containerId: CID });
  });

  it('falls back to any process of the pod unless strict', () => {
    const missing = 'd'.repeat(64);
    expect(findPodProcess(UID, { procRoot: proc, containerId: missing })).toEqual({ pid: 300, containerId: SANDBOX });
    expect(findPodProcess(UID, { procRoot: proc, containerId: missing, strict: true })).toBeUndefined();
    expect(findPodProcess(UID, { procRoot: proc })?.pid).toBe(300);
  });

  it('is undefined for a pod with no process on this host (a zombie does not count)', () => {
    expect(findPodProcess('11111111-2222-3333-4444-555555555555', { procRoot: proc })).toBeUndefined();
    rmSync(join(proc, '300'), { recursive: true });
    rmSync(join(proc, '310'), { recursive: true });
    rmSync(join(proc, '311'), { recursive: true });
    expect(findPodProcess(UID, { procRoot: proc })).toBeUndefined();
  });

  it('skips a process whose files vanish while it is read', () => {
    rmSync(join(proc, '300', 'stat'));
    expect(podProcesses(UID, proc).map((p) => p.pid)).toEqual([310, 311]);
  });

  it('names the network namespace path', () => {
    expect(netnsOfPid(310, proc)).toBe(join(proc, '310', 'ns', 'net'));
  });
});
