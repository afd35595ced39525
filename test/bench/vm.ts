// `npm run bench -- vm`: the stack on the local cluster against libvirt by hand, on the same guest, in one
// run. The guest: the test-guest containerDisk's /disk/disk.qcow2 (BIOS boot), 1 vCPU, the accelerator the
// handlers labelled their nodes with (TCG here), no cloud-init disk (the raw domain has none either).
//   e2e: POST of a VirtualMachine (runStrategy Always) -> VMI Running (first seen on a watch) -> the guest's
//        serial marker (the launcher pod's serial log, read on the host through the kubelet's pod folder);
//        N sequential VMs (each deleted and gone before the next) and N created at once;
//   raw: a private qcow2 overlay over a copy of the same qcow2 and `virsh create` of the domain XML the
//        launcher's converter makes for the same VMI spec (serial to a file), on a plain session libvirtd as
//        uid 107 seeded with the launcher's prepared capabilities; sequential (interleaved with the e2e runs,
//        so drift on this shared machine hits both alike) and N at once (rounds in ABBA order);
//   floor: a plain pod of the launcher pod's shape (init + 2 containers, no stack), sequential, interleaved:
//        what Kubernetes alone costs on this cluster before any of the stack's work;
//   memory: for every sequential VM once it has counted for a few seconds, the launcher pod's cgroup working
//        set (usage - total_inactive_file, what the kubelet counts) minus the guest's RAM, beside the same
//        measure for the raw libvirtd + QEMU, started in a cgroup of their own.
// Knobs: VIRTSTACK_BENCH_VMS (sequential, 10), VIRTSTACK_BENCH_AT_ONCE (10), VIRTSTACK_BENCH_AT_ONCE_ROUNDS (2),
// VIRTSTACK_BENCH_GUEST_MEMORY (128Mi).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { VirtualMachineInstance, VirtualMachineInstanceSpec } from '../../virt/api/index.js';
import { defaultVmiSpec } from '../../virt/api/defaults/index.js';
import { parseQuantity } from '../../virt/api/validation/quantity.js';
import { LAUNCHER_MEMORY_OVERHEAD_BYTES } from '../../virt/controller/vmi/launcher-resources.js';
import { HttpKubeApi, isGone, isNotFound, loadKubeConfig, RESOURCES, type KubeApi, type KubeObject, type ResourceRef } from '../../virt/kube/index.js';
import { vmiToDomainXml, type Accelerator } from '../../virt/launcher/domain/index.js';
import { supportsDirectIo } from '../../virt/launcher/volumes/prepare-volumes.js';
import { LABELS, LAUNCHER_POD } from '../../virt/protocol/launcher-pod.js';
import { hostPathOnNode, ensureStack, SERIAL_LOG, STACK_NAMESPACE, vmObject, type VmTemplateSpec } from '../cluster/stack.js';
import { rawRequest } from '../cluster/kube-api.js';
import { BASE_IMAGE, CGROUP_PARENT, KUBELET_ROOT_DIR, kubeconfigPath } from '../cluster/paths.js';
import { GUEST_MARKER } from '../guest/init-script.js';
import { prepareNodeHost } from '../node/support/host.js';
import { chownTree } from '../node/support/launcher-pod.js';
import { startRawLibvirtd, type RawDaemon } from '../node/support/raw-libvirtd.js';
import { counters, readSerial } from '../node/support/serial-log.js';
import type { BenchFigure, BenchResult } from './main.js';

const exec = promisify(execFile);
const log = (msg: string): void => void process.stderr.write(`bench vm: ${msg}\n`);

const NAMESPACE = 'bench-vm';
const MIB = 2 ** 20;
const BOOT_TIMEOUT_MS = 240_000;
const GONE_TIMEOUT_MS = 180_000;
/** Counter lines (one a second) after the marker before memory is sampled: the guest is past its boot burst. */
const SETTLED_COUNTS = 3;
const POLL_MS = 25;
const MEMORY_CGROUPS = '/sys/fs/cgroup/memory';

class BenchError extends Error {
  constructor(what: string, message: string, hint: string, options?: { cause?: unknown }) {
    super(`bench vm: ${what}: ${message}; hint: ${hint}`, options);
    this.name = 'BenchError';
  }
}

/** VMs that did not boot in time, with what their VMI, pod, serial log and launcher said then. */
class BootTimeout extends BenchError {
  constructor(readonly diagnostics: string) {
    super('boot', `not booted within ${BOOT_TIMEOUT_MS / 1000} s: ${diagnostics}`, `kubectl -n ${NAMESPACE} get vmi,pods; kubectl -n ${NAMESPACE} get events`);
    this.name = 'BootTimeout';
  }
}

function knob(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new BenchError(name, `"${raw}" is not a positive integer`, `unset it for the default ${fallback}`);
  return n;
}

function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) throw new BenchError('percentile', 'no samples', 'a run produced no measurement');
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

const mib = (bytes: number): number => bytes / MIB;
const fmt = (xs: readonly number[], digits = 2): string => xs.map((x) => x.toFixed(digits)).join(', ');
const seconds = (ms: number): number => ms / 1000;
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, everyMs = 200): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new BenchError(what, `not within ${timeoutMs / 1000} s`, 'look at the cluster (kubectl -n bench-vm get vm,vmi,pods; events) while it runs');
    await delay(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Cluster side

interface PodLite extends KubeObject {
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; ready: boolean; restartCount: number; state?: Record<string, unknown> }[];
  };
}
interface VmiLite extends KubeObject {
  status?: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** What a watched object marks: the key it belongs to (a VM's name) and the milestones it shows now. */
type Marks<T> = (o: T) => { key: string | undefined; marks: string[] };

/**
 * When each object of a kind in the namespace first showed each milestone (a watch, so no poll interval
 * blurs it), and the latest version of each.
 */
class Milestones<T extends KubeObject> {
  private readonly seen = new Map<string, Map<string, number>>();
  private readonly latest = new Map<string, T>();
  private readonly abort = new AbortController();
  private readonly loop: Promise<void>;

  constructor(
    private readonly kube: KubeApi,
    private readonly res: ResourceRef,
    private readonly marks: Marks<T>,
    private readonly labelSelector?: string,
  ) {
    this.loop = this.run();
  }

  private note(o: T, at: number): void {
    const { key, marks } = this.marks(o);
    if (!key) return;
    this.latest.set(key, o);
    const m = this.seen.get(key) ?? new Map<string, number>();
    this.seen.set(key, m);
    for (const mark of marks) if (!m.has(mark)) m.set(mark, at);
  }

  private async run(): Promise<void> {
    const sel = this.labelSelector ? { labelSelector: this.labelSelector } : {};
    while (!this.abort.signal.aborted) {
      try {
        const list = await this.kube.list<T>(this.res, { namespace: NAMESPACE, ...sel });
        for (const o of list.items) this.note(o, performance.now());
        await this.kube.watch<T>(this.res, { namespace: NAMESPACE, ...sel, resourceVersion: list.resourceVersion, timeoutSeconds: 300 }, (e) => {
          if (e.type === 'ADDED' || e.type === 'MODIFIED') this.note(e.object, performance.now());
        }, this.abort.signal);
      } catch (e) {
        if (this.abort.signal.aborted) return;
        // 410: the list was too old, list again; anything else is logged and retried (the run then shows gaps).
        if (!isGone(e)) log(`${this.res.plural} watch failed, watching again: ${(e as Error).message}`);
        await delay(200);
      }
    }
  }

  at(key: string, mark: string): number | undefined {
    return this.seen.get(key)?.get(mark);
  }

  object(key: string): T | undefined {
    return this.latest.get(key);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }
}

const VMI_MARKS = ['Created', 'Pending', 'Scheduling', 'Scheduled', 'Running'] as const;
const POD_MARKS = ['pod created', 'pod bound', 'pod Running', 'pod Ready'] as const;

function vmiMarks(o: VmiLite): { key: string | undefined; marks: string[] } {
  return { key: o.metadata.name, marks: ['Created', ...(o.status?.phase ? [o.status.phase] : [])] };
}

function podMarks(o: PodLite): { key: string | undefined; marks: string[] } {
  const marks = ['pod created'];
  if (o.spec?.nodeName) marks.push('pod bound');
  if (o.status?.phase === 'Running') marks.push('pod Running');
  if (o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) marks.push('pod Ready');
  return { key: o.metadata.labels?.[LABELS.domain], marks };
}

/** Label of the bench's plain pods (the Kubernetes floor), so the launcher-pod watch never sees them. */
const FLOOR_LABEL = 'virtstack.io/bench-floor';

class Clocks {
  readonly vmis: Milestones<VmiLite>;
  readonly pods: Milestones<PodLite>;
  readonly floorPods: Milestones<PodLite>;
  constructor(kube: KubeApi) {
    this.vmis = new Milestones<VmiLite>(kube, RESOURCES.virtualMachineInstances, vmiMarks);
    this.pods = new Milestones<PodLite>(kube, RESOURCES.pods, podMarks, `${LABELS.app}=${LABELS.appLauncher}`);
    this.floorPods = new Milestones<PodLite>(kube, RESOURCES.pods, (o) => ({ ...podMarks(o), key: o.metadata.name }), FLOOR_LABEL);
  }
  /** Milestones of one VM in time order, relative to `t0`, in seconds. */
  timeline(name: string, t0: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of VMI_MARKS) {
      const at = this.vmis.at(name, m);
      if (at !== undefined) out[m === 'Created' ? 'VMI created' : m] = seconds(at - t0);
    }
    for (const m of POD_MARKS) {
      const at = this.pods.at(name, m);
      if (at !== undefined) out[m] = seconds(at - t0);
    }
    return out;
  }
  async stop(): Promise<void> {
    await Promise.all([this.vmis.stop(), this.pods.stop(), this.floorPods.stop()]);
  }
}

interface VmRun {
  name: string;
  t0: number;
  /** Date.now() at t0: the launcher's log lines carry wall-clock times (same host clock). */
  wall0: number;
  running?: number;
  marker?: number;
  pod?: { name: string; uid: string; node: string; serial: string };
}

function benchTemplate(s: VmTemplateSpec, guestMemory: string): void {
  s.domain.memory.guest = guestMemory;
  s.domain.devices.disks = s.domain.devices.disks.filter((d) => d.name === 'root');
  s.volumes = s.volumes.filter((v) => v.name === 'root');
}

function benchVm(name: string, guestMemory: string): KubeObject {
  return vmObject(NAMESPACE, name, 'Always', { edit: (s) => benchTemplate(s, guestMemory) }) as unknown as KubeObject;
}

/** The launcher pod's serial log on the host: the `ephemeral` emptyDir in the kubelet's pod folder of its node. */
function serialOnHost(node: string, podUid: string): string {
  return hostPathOnNode(node, `${KUBELET_ROOT_DIR}/pods/${podUid}/volumes/kubernetes.io~empty-dir/${LAUNCHER_POD.ephemeralVolume}/${basename(SERIAL_LOG)}`);
}

/** Polls until every VM is Running and its guest printed the marker; the pods come from the pod watch. */
async function untilBooted(clocks: Clocks, runs: VmRun[]): Promise<void> {
  const deadline = performance.now() + BOOT_TIMEOUT_MS;
  while (runs.some((r) => r.running === undefined || r.marker === undefined)) {
    if (performance.now() > deadline) {
      const pending = runs.filter((r) => r.running === undefined || r.marker === undefined);
      throw new BootTimeout((await Promise.all(pending.map((r) => diagnose(clocks, r)))).join(' | '));
    }
    for (const r of runs) {
      r.running ??= clocks.vmis.at(r.name, 'Running');
      const p = r.pod ? undefined : clocks.pods.object(r.name);
      if (p?.spec?.nodeName && p.metadata.uid && p.metadata.name) r.pod = { name: p.metadata.name, uid: p.metadata.uid, node: p.spec.nodeName, serial: serialOnHost(p.spec.nodeName, p.metadata.uid) };
      if (r.pod && r.marker === undefined && readSerial(r.pod.serial).includes(GUEST_MARKER)) r.marker = performance.now();
    }
    await delay(POLL_MS);
  }
}

async function diagnose(clocks: Clocks, r: VmRun): Promise<string> {
  const vmi = clocks.vmis.object(r.name);
  const pod = clocks.pods.object(r.name);
  const containers = (pod?.status?.containerStatuses ?? []).map((c) => `${c.name} ready=${c.ready} restarts=${c.restartCount}${c.state ? ` ${Object.keys(c.state).join('/')}` : ''}`).join(', ');
  const serial = r.pod ? (existsSync(r.pod.serial) ? JSON.stringify(readSerial(r.pod.serial).slice(-300)) : `no ${r.pod.serial}`) : 'no pod';
  let launcher = '';
  if (r.pod) {
    try {
      const logs = await rawRequest('GET', `/api/v1/namespaces/${NAMESPACE}/pods/${r.pod.name}/log?container=${LAUNCHER_POD.computeContainer}&tailLines=6`);
      launcher = logs.body.trim().split('\n').map((l) => l.slice(0, 300)).join(' / ');
    } catch (e) {
      // Diagnostics only: the error they would explain matters more than this one.
      launcher = `(no log: ${(e as Error).message})`;
    }
  }
  return `${r.name}: VMI ${vmi?.status?.phase ?? 'none'}${vmi?.status?.conditions?.length ? ` ${JSON.stringify(vmi.status.conditions)}` : ''}; pod ${pod?.metadata.name ?? 'none'} ${pod?.status?.phase ?? ''} on ${r.pod?.node ?? '?'} [${containers}]; serial tail ${serial}; launcher log tail: ${launcher}`;
}

/**
 * The Kubernetes floor under a launcher pod: a pod of its shape (one init container, two containers) from
 * the cluster's base image, with no stack involved: POST -> phase Running, in seconds.
 */
async function floorPod(kube: KubeApi, clocks: Clocks, name: string, shape: 'launcher' | 'single' = 'launcher'): Promise<number> {
  const container = (n: string, command: string[]): Record<string, unknown> => ({ name: n, image: BASE_IMAGE, imagePullPolicy: 'Never', command });
  // 'single': one container and no init container, to show what the launcher pod's shape itself costs.
  const containers = shape === 'launcher'
    ? { initContainers: [container('init', ['/bin/true'])], containers: [container('first', ['/bin/sleep', 'infinity']), container('second', ['/bin/sleep', 'infinity'])] }
    : { containers: [container('first', ['/bin/sleep', 'infinity'])] };
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE, labels: { [FLOOR_LABEL]: 'true' } },
    spec: { terminationGracePeriodSeconds: 0, ...containers },
  };
  const t0 = performance.now();
  await kube.create(RESOURCES.pods, pod as unknown as KubeObject);
  const running = await until(`floor pod ${name} to run`, BOOT_TIMEOUT_MS, () => clocks.floorPods.at(name, 'pod Running'), POLL_MS);
  await kube.delete(RESOURCES.pods, NAMESPACE, name, { gracePeriodSeconds: 0 });
  await until(`floor pod ${name} to be gone`, GONE_TIMEOUT_MS, async () => {
    try {
      await kube.get(RESOURCES.pods, NAMESPACE, name);
      return undefined;
    } catch (e) {
      if (isNotFound(e)) return true;
      throw e;
    }
  }, 200);
  return seconds(running - t0);
}

async function createVm(kube: KubeApi, name: string, guestMemory: string): Promise<VmRun> {
  const wall0 = Date.now();
  const t0 = performance.now();
  await kube.create(RESOURCES.virtualMachines, benchVm(name, guestMemory));
  return { name, t0, wall0 };
}

/** Deletes the VMs and waits until no VM, VMI or launcher pod of theirs is left. */
async function deleteVms(kube: KubeApi, names: readonly string[]): Promise<void> {
  for (const n of names) await kube.delete(RESOURCES.virtualMachines, NAMESPACE, n).catch((e: unknown) => { if (!isNotFound(e)) throw e; });
  await until(`VMs ${names.join(', ')} and their VMIs and pods to be gone`, GONE_TIMEOUT_MS, async () => {
    const [vms, vmis, pods] = await Promise.all([
      kube.list(RESOURCES.virtualMachines, { namespace: NAMESPACE }),
      kube.list(RESOURCES.virtualMachineInstances, { namespace: NAMESPACE }),
      kube.list<PodLite>(RESOURCES.pods, { namespace: NAMESPACE, labelSelector: `${LABELS.app}=${LABELS.appLauncher}` }),
    ]);
    const left = [...vms.items, ...vmis.items].map((o) => o.metadata.name).concat(pods.items.map((p) => p.metadata.labels?.[LABELS.domain]));
    return left.some((n) => n !== undefined && names.includes(n)) ? undefined : true;
  }, 500);
}

async function namespaceGone(kube: KubeApi): Promise<boolean | undefined> {
  try {
    await kube.get(RESOURCES.namespaces, undefined, NAMESPACE);
    return undefined;
  } catch (e) {
    if (isNotFound(e)) return true;
    throw e;
  }
}

async function freshNamespace(kube: KubeApi): Promise<void> {
  if (!(await namespaceGone(kube))) {
    log(`namespace ${NAMESPACE} is left from an earlier run: removing it first`);
    const vms = await kube.list(RESOURCES.virtualMachines, { namespace: NAMESPACE });
    await deleteVms(kube, vms.items.map((v) => v.metadata.name ?? ''));
    await kube.delete(RESOURCES.namespaces, undefined, NAMESPACE).catch((e: unknown) => { if (!isNotFound(e)) throw e; });
    await until(`namespace ${NAMESPACE} to be gone`, GONE_TIMEOUT_MS, () => namespaceGone(kube), 500);
  }
  await kube.create(RESOURCES.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
}

interface LauncherReady {
  capabilities: string;
  capabilitiesMs: number;
  startupMs: number;
}

/** What the launcher's log says: when it was ready (and whether the prepared capabilities held), when the domain started. */
interface LauncherEvents {
  ready?: LauncherReady;
  readyAt?: number;
  domainStartedAt?: number;
}

async function launcherEvents(pod: string): Promise<LauncherEvents> {
  const r = await rawRequest('GET', `/api/v1/namespaces/${NAMESPACE}/pods/${pod}/log?container=${LAUNCHER_POD.computeContainer}`);
  const out: LauncherEvents = {};
  if (r.code !== 200) return out;
  for (const line of r.body.split('\n')) {
    if (!line.includes('"launcher ready"') && !line.includes('"domain started"')) continue;
    let j: { msg?: string; time?: string; capabilities?: string; capabilitiesMs?: number; startupMs?: number };
    try {
      j = JSON.parse(line) as typeof j;
    } catch {
      continue; // not a JSON line
    }
    const at = j.time ? Date.parse(j.time) : NaN;
    if (j.msg === 'launcher ready' && !out.ready) {
      out.ready = { capabilities: j.capabilities ?? '?', capabilitiesMs: j.capabilitiesMs ?? NaN, startupMs: j.startupMs ?? NaN };
      out.readyAt = at;
    }
    if (j.msg === 'domain started' && out.domainStartedAt === undefined) out.domainStartedAt = at;
  }
  return out;
}

/** What the handlers' logs say of one VM: when its pod network was prepared, and how long preparing took. */
interface HandlerEvents {
  networkAt?: number;
  prepareMs?: number;
}

/**
 * The handlers' "pod network prepared" lines for this namespace since `sinceWall` (Date.now() ms), by VM name:
 * with the launcher's "launcher ready" they show how long a VMI waited for its handler, and how much of that
 * was the preparing itself (the handler used to leave the 5th VMI of a busy node ~30 s waiting).
 */
async function handlerEvents(kube: KubeApi, sinceWall: number): Promise<Map<string, HandlerEvents>> {
  const out = new Map<string, HandlerEvents>();
  const pods = await kube.list<PodLite>(RESOURCES.pods, { namespace: STACK_NAMESPACE, labelSelector: 'kubevirt.io=virt-handler' });
  const since = new Date(sinceWall - 1000).toISOString();
  for (const p of pods.items) {
    const r = await rawRequest('GET', `/api/v1/namespaces/${STACK_NAMESPACE}/pods/${p.metadata.name}/log?sinceTime=${encodeURIComponent(since)}`);
    if (r.code !== 200) continue;
    for (const line of r.body.split('\n')) {
      if (!line.includes('"pod network prepared"') || !line.includes(`"namespace":"${NAMESPACE}"`)) continue;
      let j: { time?: string; name?: string; prepareMs?: number };
      try {
        j = JSON.parse(line) as typeof j;
      } catch {
        continue; // not a JSON line
      }
      if (!j.name || out.has(j.name)) continue;
      out.set(j.name, { networkAt: j.time ? Date.parse(j.time) : NaN, ...(typeof j.prepareMs === 'number' ? { prepareMs: j.prepareMs } : {}) });
    }
  }
  return out;
}

/** One VM's milestones from its POST, in seconds: the watches', the launcher's and handler's log lines and the marker. */
function timelineOf(clocks: Clocks, r: VmRun, ev: LauncherEvents, hev?: HandlerEvents): Record<string, number> {
  const t: Record<string, number> = clocks.timeline(r.name, r.t0);
  if (hev?.networkAt !== undefined && Number.isFinite(hev.networkAt)) t['pod network prepared'] = (hev.networkAt - r.wall0) / 1000;
  if (ev.readyAt !== undefined && Number.isFinite(ev.readyAt)) t['launcher ready'] = (ev.readyAt - r.wall0) / 1000;
  if (ev.domainStartedAt !== undefined && Number.isFinite(ev.domainStartedAt)) t['domain started'] = (ev.domainStartedAt - r.wall0) / 1000;
  if (r.marker !== undefined) t.marker = seconds(r.marker - r.t0);
  return t;
}

const sortedTimeline = (t: Record<string, number>): string => Object.entries(t).sort((a, b) => a[1] - b[1]).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');

// ---------------------------------------------------------------------------------------------------------
// Memory

interface MemorySample {
  /** usage_in_bytes - total_inactive_file: the kubelet's working set. */
  workingSet: number;
  rss: number;
  activeFile: number;
  qemuRss: number;
  qemuAnon: number;
  /**
   * File-backed RSS of the cgroup's processes (binaries, libraries): charged to whichever cgroup read the
   * pages first, so a pod's working set misses what earlier pods of the node loaded. Its upper bound.
   */
  rssFile: number;
  /** Resident part of QEMU's guest-RAM mapping: the guest RAM actually touched (a guest rarely touches all of it). */
  guestTouched: number;
  /** Resident part of QEMU's executable anonymous mapping: TCG's translation cache (grows with the code the guest runs). */
  tcgCache: number;
  /** RSS by process kind, for the notes. */
  byProcess: Record<string, number>;
}

function statOf(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(join(dir, 'memory.stat'), 'utf8').split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v) out[k] = Number(v);
  }
  return out;
}

function pidsUnder(dir: string): number[] {
  const pids = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) pids.push(...pidsUnder(join(dir, e.name)));
  return pids;
}

function processKind(pid: number): string {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  const exe = basename(argv[0] ?? '');
  if (exe.startsWith('qemu-system')) return 'qemu';
  if (exe === 'node' && argv.some((a) => a.endsWith('launcher.js'))) return 'launcher (node)';
  if (exe === 'virtstack-hold') return 'hold';
  return exe || 'unknown';
}

function statusKb(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * QEMU's guest RAM and TCG translation cache, from its smaps: the guest RAM is the one anonymous read-write
 * mapping exactly the guest's size, the translation cache the anonymous read-write-execute one.
 */
function qemuMappings(pid: number, guestBytes: number): { guestTouched: number; tcgCache: number } {
  let guestTouched = 0;
  let tcgCache = 0;
  let current: { size: number; perms: string; anonymous: boolean } | undefined;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) {
      current = { size: Number.parseInt(m[2]!, 16) - Number.parseInt(m[1]!, 16), perms: m[3]!, anonymous: m[4]!.trim() === '' };
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss || !current?.anonymous) continue;
    const bytes = Number(rss[1]) * 1024;
    if (current.perms === 'rw-p' && current.size === guestBytes) guestTouched += bytes;
    if (current.perms === 'rwxp') tcgCache += bytes;
  }
  return { guestTouched, tcgCache };
}

function sampleCgroup(dir: string, guestBytes: number): MemorySample {
  const st = statOf(dir);
  const usage = Number(readFileSync(join(dir, 'memory.usage_in_bytes'), 'utf8'));
  const byProcess: Record<string, number> = {};
  let qemuRss = 0;
  let qemuAnon = 0;
  let rssFile = 0;
  let guestTouched = 0;
  let tcgCache = 0;
  for (const pid of pidsUnder(dir)) {
    try {
      const kind = processKind(pid);
      const rss = statusKb(pid, 'VmRSS');
      rssFile += statusKb(pid, 'RssFile');
      byProcess[kind] = (byProcess[kind] ?? 0) + rss;
      if (kind === 'qemu') {
        qemuRss += rss;
        qemuAnon += statusKb(pid, 'RssAnon');
        const q = qemuMappings(pid, guestBytes);
        guestTouched += q.guestTouched;
        tcgCache += q.tcgCache;
      }
    } catch {
      // the process ended between the listing and the read
    }
  }
  return { workingSet: usage - (st.total_inactive_file ?? 0), rss: st.total_rss ?? 0, activeFile: st.total_active_file ?? 0, qemuRss, qemuAnon, rssFile, guestTouched, tcgCache, byProcess };
}

function podCgroup(node: string, podUid: string): string {
  const kubepods = join(MEMORY_CGROUPS, CGROUP_PARENT, node, 'kubepods');
  const dir = ['burstable', 'besteffort', ''].map((q) => join(kubepods, q, `pod${podUid}`)).find((d) => existsSync(d));
  if (!dir) throw new BenchError(`pod ${podUid} on ${node}`, `no memory cgroup pod${podUid} under ${kubepods}`, 'the kubelets use the cgroupfs driver under the cluster\'s cgroup parent; has the pod gone?');
  return dir;
}

async function untilSettled(serial: string): Promise<void> {
  await until(`${SETTLED_COUNTS} counter lines after the marker in ${serial}`, 60_000, () => {
    const after = readSerial(serial).split(GUEST_MARKER)[1];
    return after !== undefined && counters(after).length >= SETTLED_COUNTS ? true : undefined;
  }, 100);
}

// ---------------------------------------------------------------------------------------------------------
// Raw side

interface RawBench {
  daemon: RawDaemon;
  dir: string;
  backing: string;
  cgroup: string;
  accelerator: Accelerator;
  spec: VirtualMachineInstanceSpec;
}

interface RawRun {
  name: string;
  t0: number;
  created?: number;
  marker?: number;
  serial: string;
}

/** This process's memory cgroup (v1), as a folder under MEMORY_CGROUPS. */
function ownMemoryCgroup(): string {
  const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes('memory'));
  if (!line) throw new BenchError('/proc/self/cgroup', 'no memory controller line', 'the bench reads cgroup v1 memory figures (the local cluster\'s kubelets run on cgroup v1)');
  return join(MEMORY_CGROUPS, line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1));
}

/**
 * Starts the raw daemon inside a memory cgroup of its own, so its QEMUs are born there too: this process
 * joins the cgroup while it spawns the daemon and goes back after (this kernel refuses to move charges along
 * with a process, so a daemon moved after its start would leave its memory behind).
 */
async function startRawInCgroup(cgroup: string, dir: string, capsFrom: string): Promise<RawDaemon> {
  mkdirSync(cgroup, { recursive: true });
  const home = ownMemoryCgroup();
  writeFileSync(join(cgroup, 'cgroup.procs'), String(process.pid));
  try {
    return await startRawLibvirtd({ dir, capsFrom });
  } finally {
    writeFileSync(join(home, 'cgroup.procs'), String(process.pid));
  }
}

async function rawCreate(raw: RawBench, i: number): Promise<RawRun> {
  const name = `raw-${i}`;
  const dir = join(raw.dir, name);
  mkdirSync(dir);
  const serial = join(dir, 'serial0.log');
  const vmi: VirtualMachineInstance = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name, namespace: NAMESPACE, uid: randomUUID() }, spec: raw.spec };
  const overlay = join(dir, 'container-root.qcow2');
  const xml = join(dir, 'domain.xml');
  // The timer starts where a user's would: with the fresh overlay over the image, as the launcher makes it.
  const t0 = performance.now();
  await exec('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', raw.backing, overlay]);
  chownTree(dir);
  writeFileSync(xml, vmiToDomainXml(vmi, {
    accelerator: raw.accelerator,
    volumes: { root: { path: overlay, type: 'file', format: 'qcow2', cache: supportsDirectIo(dir) ? 'none' : 'writeback' } },
    podNetwork: { kind: 'user' },
    serialLog: serial,
    vncSocket: join(dir, 'vnc.sock'),
  }));
  await raw.daemon.virsh('create', xml);
  return { name, t0, created: performance.now(), serial };
}

async function rawUntilBooted(runs: RawRun[]): Promise<void> {
  const deadline = performance.now() + BOOT_TIMEOUT_MS;
  while (runs.some((r) => r.marker === undefined)) {
    if (performance.now() > deadline) throw new BenchError('raw boot', `no marker within ${BOOT_TIMEOUT_MS / 1000} s in ${runs.filter((r) => r.marker === undefined).map((r) => r.serial).join(', ')}`, 'read the serial logs and the raw daemon\'s log in the bench folder');
    for (const r of runs) if (r.marker === undefined && readSerial(r.serial).includes(GUEST_MARKER)) r.marker = performance.now();
    await delay(POLL_MS);
  }
}

async function rawDestroy(raw: RawBench, runs: readonly RawRun[]): Promise<void> {
  for (const r of runs) {
    await raw.daemon.virsh('destroy', `${NAMESPACE}_${r.name}`).catch(() => undefined);
    rmSync(join(raw.dir, r.name), { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------

function clusterAccelerator(labels: (string | undefined)[]): Accelerator {
  // The raw guest runs as a launcher would on these nodes: KVM only when every node's handler found it usable.
  return labels.length > 0 && labels.every((l) => l === 'kvm') ? 'kvm' : 'tcg';
}

function goal(met: boolean, text: string): string {
  return `${text}: ${met ? 'met' : 'NOT met'}`;
}

/** Waits for the raw daemon's processes to leave its cgroup (SIGKILL is asynchronous), then removes it. */
async function removeCgroup(cgroup: string): Promise<void> {
  if (!existsSync(cgroup)) return;
  await until(`the processes of ${cgroup} to end`, 30_000, () => (readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').trim() === '' ? true : undefined), 100);
  rmdirSync(cgroup);
}

interface AtOnceRound {
  /** Set when some VM did not boot in time: what it showed; the times are then NaN. */
  failed?: string;
  allRunning: number;
  allMarkers: number;
  perVm: { running: number; marker: number }[];
  perNode: Record<string, number>;
  /** e2e only: each VM's milestones from its own POST. */
  timelines?: { name: string; node: string; prepareMs?: number | undefined; t: Record<string, number> }[];
}

async function e2eAtOnce(kube: KubeApi, clocks: Clocks, names: string[], guestMemory: string, created: string[]): Promise<AtOnceRound> {
  created.push(...names);
  const start = performance.now();
  const runs = await Promise.all(names.map((n) => createVm(kube, n, guestMemory)));
  try {
    await untilBooted(clocks, runs);
  } catch (e) {
    if (!(e instanceof BootTimeout)) throw e;
    await deleteVms(kube, names);
    return { failed: e.diagnostics, allRunning: NaN, allMarkers: NaN, perVm: [], perNode: {} };
  }
  const perNode: Record<string, number> = {};
  for (const r of runs) perNode[r.pod!.node] = (perNode[r.pod!.node] ?? 0) + 1;
  const handler = await handlerEvents(kube, Math.min(...runs.map((r) => r.wall0)));
  const timelines = await Promise.all(runs.map(async (r) => ({ name: r.name, node: r.pod!.node, prepareMs: handler.get(r.name)?.prepareMs, t: timelineOf(clocks, r, await launcherEvents(r.pod!.name), handler.get(r.name)) })));
  await deleteVms(kube, names);
  return {
    allRunning: seconds(Math.max(...runs.map((r) => r.running!)) - start),
    allMarkers: seconds(Math.max(...runs.map((r) => r.marker!)) - start),
    perVm: runs.map((r) => ({ running: seconds(r.running! - start), marker: seconds(r.marker! - start) })),
    perNode,
    timelines,
  };
}

async function rawAtOnce(raw: RawBench, first: number, n: number): Promise<AtOnceRound> {
  const start = performance.now();
  const runs = await Promise.all(Array.from({ length: n }, (_, j) => rawCreate(raw, first + j)));
  await rawUntilBooted(runs);
  await rawDestroy(raw, runs);
  return {
    allRunning: seconds(Math.max(...runs.map((r) => r.created!)) - start),
    allMarkers: seconds(Math.max(...runs.map((r) => r.marker!)) - start),
    perVm: runs.map((r) => ({ running: seconds(r.created! - start), marker: seconds(r.marker! - start) })),
    perNode: {},
  };
}

const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

export async function run(): Promise<BenchResult> {
  const sequential = knob('VIRTSTACK_BENCH_VMS', 10);
  const atOnce = knob('VIRTSTACK_BENCH_AT_ONCE', 10);
  const rounds = knob('VIRTSTACK_BENCH_AT_ONCE_ROUNDS', 2);
  const guestMemory = process.env.VIRTSTACK_BENCH_GUEST_MEMORY || '128Mi';
  const guestBytes = parseQuantity(guestMemory);
  if (!guestBytes) throw new BenchError('VIRTSTACK_BENCH_GUEST_MEMORY', `"${guestMemory}" is not a quantity`, 'use e.g. 128Mi or 256Mi');
  const notes: string[] = [];

  log('the stack on the local cluster (cached: seconds)');
  await ensureStack();
  const host = await prepareNodeHost();
  const kube = new HttpKubeApi(loadKubeConfig({ kubeconfig: kubeconfigPath() }), { userAgent: 'virtstack-bench-vm' });
  const nodes = await kube.list(RESOURCES.nodes);
  const accelerator = clusterAccelerator(nodes.items.map((n) => n.metadata.labels?.[LABELS.accelerator]));
  // The machine is shared: the load and the other tests' VMIs at each step say how noisy the figures are.
  const loads: string[] = [];
  const checkpoint = async (what: string): Promise<void> => {
    const vmis = (await kube.list<VmiLite>(RESOURCES.virtualMachineInstances)).items.filter((v) => v.metadata.namespace !== NAMESPACE).length;
    loads.push(`${what}: load ${load()}, ${vmis} other VMIs`);
  };
  await checkpoint('start');

  const base = mkdtempSync(join(tmpdir(), 'vs-bench-vm-'));
  // The raw daemon and its QEMU run as uid 107: the folder must be traversable and the guest a copy it owns.
  chmodSync(base, 0o755);
  const backing = join(base, 'guest', 'disk.qcow2');
  mkdirSync(join(base, 'guest'));
  copyFileSync(host.guest.bootableQcow2, backing);
  chmodSync(backing, 0o444);
  chownTree(join(base, 'guest'));
  const cgroup = join(MEMORY_CGROUPS, `virtstack-bench-raw-${process.pid}`);
  let daemon: RawDaemon | undefined;
  let clocks: Clocks | undefined;
  const created: string[] = [];
  try {
    daemon = await startRawInCgroup(cgroup, join(base, 'daemon'), host.capsDir);
    const template = (benchVm('template', guestMemory) as unknown as { spec: { template: { spec: VirtualMachineInstanceSpec } } }).spec.template.spec;
    // The launcher converts the VMI with virt/api's defaults applied (no admission webhook stores them yet).
    const raw: RawBench = { daemon, dir: base, backing, cgroup, accelerator, spec: defaultVmiSpec(template) };

    await freshNamespace(kube);
    clocks = new Clocks(kube);

    // Warm-up, not counted: the first pod on a node after a while pays image and page-cache misses.
    log('warm-up VM and raw domain (not counted)');
    const warm = await createVm(kube, 'warm-up', guestMemory);
    created.push(warm.name);
    await untilBooted(clocks, [warm]);
    await deleteVms(kube, [warm.name]);
    const warmRaw = await rawCreate(raw, 999);
    await rawUntilBooted([warmRaw]);
    await rawDestroy(raw, [warmRaw]);

    const seq = { running: [] as number[], marker: [] as number[], raw: [] as number[], rawCreated: [] as number[], floor: [] as number[], domainStarted: [] as number[], podBoot: [] as number[], rawBoot: [] as number[], prepareMs: [] as number[], floorSingle: [] as number[] };
    await floorPod(kube, clocks, 'floor-warm-up');
    const timelines: Record<string, number>[] = [];
    const mem = { pod: [] as MemorySample[], raw: [] as MemorySample[] };
    const ready: LauncherReady[] = [];
    const failures: string[] = [];
    for (let i = 0; i < sequential; i++) {
      const r = await rawCreate(raw, i);
      await rawUntilBooted([r]);
      seq.raw.push(seconds(r.marker! - r.t0));
      seq.rawCreated.push(seconds(r.created! - r.t0));
      seq.rawBoot.push(seconds(r.marker! - r.created!));
      await untilSettled(r.serial);
      mem.raw.push(sampleCgroup(raw.cgroup, guestBytes));
      await rawDestroy(raw, [r]);
      seq.floor.push(await floorPod(kube, clocks, `floor-${i}`));
      seq.floorSingle.push(await floorPod(kube, clocks, `floor-single-${i}`, 'single'));

      const name = `seq-${i}`;
      const v = await createVm(kube, name, guestMemory);
      created.push(name);
      try {
        await untilBooted(clocks, [v]);
      } catch (e) {
        if (!(e instanceof BootTimeout)) throw e;
        failures.push(`sequential ${name}: ${e.diagnostics}`);
        log(`sequential ${i + 1}/${sequential}: did not boot, left out: ${e.diagnostics}`);
        await deleteVms(kube, [name]);
        continue;
      }
      seq.running.push(seconds(v.running! - v.t0));
      seq.marker.push(seconds(v.marker! - v.t0));
      await untilSettled(v.pod!.serial);
      mem.pod.push(sampleCgroup(podCgroup(v.pod!.node, v.pod!.uid), guestBytes));
      const ev = await launcherEvents(v.pod!.name);
      if (ev.ready) ready.push(ev.ready);
      const hev = (await handlerEvents(kube, v.wall0)).get(name);
      if (hev?.prepareMs !== undefined) seq.prepareMs.push(hev.prepareMs);
      const tl = timelineOf(clocks, v, ev, hev);
      timelines.push(tl);
      if (tl['domain started'] !== undefined) {
        seq.domainStarted.push(tl['domain started']);
        seq.podBoot.push(tl.marker! - tl['domain started']);
      }
      await deleteVms(kube, [name]);
      log(`sequential ${i + 1}/${sequential}: e2e Running ${seq.running.at(-1)!.toFixed(2)} s, marker ${seq.marker.at(-1)!.toFixed(2)} s on ${v.pod!.node}; raw marker ${seq.raw.at(-1)!.toFixed(2)} s; pod working set ${mib(mem.pod.at(-1)!.workingSet).toFixed(0)} MiB, raw ${mib(mem.raw.at(-1)!.workingSet).toFixed(0)} MiB; load ${load()}`);
    }
    await checkpoint('after sequential');

    // Rounds in ABBA order (raw, e2e, e2e, raw, ...), so a load that rises or falls over the run hits both alike.
    const par = { raw: [] as AtOnceRound[], e2e: [] as AtOnceRound[] };
    for (let k = 0; k < rounds; k++) {
      const order: ('raw' | 'e2e')[] = k % 2 === 0 ? ['raw', 'e2e'] : ['e2e', 'raw'];
      for (const side of order) {
        log(`round ${k + 1}/${rounds}: ${atOnce} ${side === 'raw' ? 'raw domains' : 'VMs'} at once`);
        const r = side === 'raw' ? await rawAtOnce(raw, 100 * (k + 1), atOnce) : await e2eAtOnce(kube, clocks, Array.from({ length: atOnce }, (_, j) => `par${k}-${j}`), guestMemory, created);
        par[side].push(r);
        if (r.failed) failures.push(`at-once round ${k + 1}: ${r.failed}`);
        log(`round ${k + 1}/${rounds} ${side}: ${r.failed ? `FAILED: ${r.failed}` : `all Running ${r.allRunning.toFixed(2)} s, all markers ${r.allMarkers.toFixed(2)} s`}; load ${load()}`);
        await checkpoint(`after at-once round ${k + 1} ${side}`);
      }
    }

    const overhead = (p: number): number => percentile(seq.marker, p) - percentile(seq.raw, p);
    const pct = (name: string, unit: string, values: number[], base: { name: string; values: number[] }, p: number, g?: (v: number, b: number) => string): BenchFigure => {
      const v = percentile(values, p);
      const b = percentile(base.values, p);
      return { name: `${name} p${p}`, unit, value: v, baseline: { name: `${base.name} p${p}`, value: b }, ratio: v / b, ...(g ? { goal: g(v, b) } : {}) };
    };
    // "Beyond guest RAM" two ways: minus the guest's configured RAM (what the controller adds its overhead
    // to), and minus the guest RAM QEMU actually holds, which is the launcher's real cost when a guest
    // touches all its memory (the test guest touches ~110 MiB whatever its size, so the first understates).
    const ws = (s: MemorySample): number => mib(s.workingSet - guestBytes);
    const wsTouched = (s: MemorySample): number => mib(s.workingSet - s.guestTouched);
    const podBeyond = mem.pod.map(ws);
    const rawBeyond = mem.raw.map(ws);
    const podBeyondTouched = mem.pod.map(wsTouched);
    const rawBeyondTouched = mem.raw.map(wsTouched);
    const podQemu = mem.pod.map((s) => mib(s.qemuRss));
    const rawQemu = mem.raw.map((s) => mib(s.qemuRss));
    // A round in which some VM never booted has no time; the figures average the completed rounds.
    const done = par.e2e.filter((r) => !r.failed);
    const parE2eRunning = mean(done.map((r) => r.allRunning));
    const parE2eMarkers = mean(done.map((r) => r.allMarkers));
    const parRawCreated = mean(par.raw.map((r) => r.allRunning));
    const parRawMarkers = mean(par.raw.map((r) => r.allMarkers));
    const roundsNote = rounds > 1 ? `, mean of ${done.length}/${rounds} rounds` : '';
    const figures: BenchFigure[] = [
      pct('create -> VMI Running, sequential', 's', seq.running, { name: 'raw overlay + virsh create returned', values: seq.rawCreated }, 50),
      pct('create -> VMI Running, sequential', 's', seq.running, { name: 'raw overlay + virsh create returned', values: seq.rawCreated }, 95),
      pct('create -> VMI Running, sequential', 's', seq.running, { name: 'Kubernetes floor: plain pod of the launcher pod\'s shape create -> Running', values: seq.floor }, 50),
      pct('create -> domain started (launcher log), sequential', 's', seq.domainStarted, { name: 'raw overlay + virsh create returned', values: seq.rawCreated }, 50),
      pct('create -> domain started (launcher log), sequential', 's', seq.domainStarted, { name: 'raw overlay + virsh create returned', values: seq.rawCreated }, 95),
      pct('guest boot in the pod: domain started -> marker', 's', seq.podBoot, { name: 'raw virsh create returned -> marker', values: seq.rawBoot }, 50),
      pct('create -> guest marker, sequential', 's', seq.marker, { name: 'raw virsh create -> marker', values: seq.raw }, 50),
      pct('create -> guest marker, sequential', 's', seq.marker, { name: 'raw virsh create -> marker', values: seq.raw }, 95),
      { name: 'control-plane overhead (e2e - raw, to marker) p50', unit: 's', value: overhead(50), baseline: { name: 'raw virsh create -> marker p50', value: percentile(seq.raw, 50) }, ratio: percentile(seq.marker, 50) / percentile(seq.raw, 50), goal: goal(overhead(50) <= 1.5, '<= 1.5 s') },
      { name: 'control-plane overhead (e2e - raw, to marker) p95', unit: 's', value: overhead(95), baseline: { name: 'raw virsh create -> marker p95', value: percentile(seq.raw, 95) }, ratio: percentile(seq.marker, 95) / percentile(seq.raw, 95), goal: goal(overhead(95) <= 3, '<= 3 s') },
      { name: `${atOnce} at once -> all VMIs Running${roundsNote}`, unit: 's', value: parE2eRunning, baseline: { name: `raw ${atOnce} at once -> all virsh create returned`, value: parRawCreated }, ratio: parE2eRunning / parRawCreated, goal: goal(parE2eRunning <= 1.5 * parRawCreated, '<= 1.5x raw') },
      { name: `${atOnce} at once -> all guest markers${roundsNote}`, unit: 's', value: parE2eMarkers, baseline: { name: `raw ${atOnce} at once -> all markers`, value: parRawMarkers }, ratio: parE2eMarkers / parRawMarkers, goal: goal(parE2eMarkers <= 1.5 * parRawMarkers, '<= 1.5x raw') },
      pct(`launcher pod working set - guest RAM (${guestMemory})`, 'MiB', podBeyond, { name: 'raw libvirtd + QEMU cgroup, the same', values: rawBeyond }, 50, (v) => goal(v <= 120, '<= 120 MiB')),
      pct(`launcher pod working set - guest RAM (${guestMemory})`, 'MiB', podBeyond, { name: 'raw libvirtd + QEMU cgroup, the same', values: rawBeyond }, 95, (v) => goal(v <= 120, '<= 120 MiB')),
      pct('launcher pod working set - guest RAM touched (QEMU\'s resident guest RAM)', 'MiB', podBeyondTouched, { name: 'raw libvirtd + QEMU cgroup, the same', values: rawBeyondTouched }, 50, (v) => goal(v <= 120, '<= 120 MiB')),
      pct('launcher pod working set - guest RAM touched (QEMU\'s resident guest RAM)', 'MiB', podBeyondTouched, { name: 'raw libvirtd + QEMU cgroup, the same', values: rawBeyondTouched }, 95, (v) => goal(v <= 120, '<= 120 MiB')),
      pct('QEMU RSS in the launcher pod (guest RAM touched + QEMU)', 'MiB', podQemu, { name: 'raw QEMU RSS', values: rawQemu }, 50),
    ];

    const median = (xs: number[]): string => (xs.length ? percentile(xs, 50).toFixed(2) : 'n/a');
    const byKind = (samples: MemorySample[]): string => {
      const kinds = [...new Set(samples.flatMap((s) => Object.keys(s.byProcess)))].sort();
      return kinds.map((k) => `${k} ${percentile(samples.map((s) => mib(s.byProcess[k] ?? 0)), 50).toFixed(1)}`).join(', ');
    };
    const milestones = [...new Set(timelines.flatMap((t) => Object.keys(t)))].map((m) => ({ m, p50: percentile(timelines.map((t) => t[m]).filter((x): x is number => x !== undefined), 50) })).sort((a, b) => a.p50 - b.p50);
    const p95 = (xs: number[]): number => percentile(xs, 95);
    const anonBeyond = mem.pod.map((s) => mib(s.rss - s.guestTouched));
    const upperBeyond = mem.pod.map((s) => mib(s.rss + s.rssFile - s.guestTouched));
    const rounded = (x: number): number => Math.ceil(x / 10) * 10;
    notes.push(
      `guest: test-guest containerDisk /disk/disk.qcow2 (BIOS), ${guestMemory}, 1 vCPU, ${accelerator.toUpperCase()} (node labels ${LABELS.accelerator}: ${nodes.items.map((n) => `${n.metadata.name}=${n.metadata.labels?.[LABELS.accelerator] ?? '?'}`).join(', ')}); no cloud-init disk; ${sequential} sequential VMs interleaved with ${sequential} raw domains, ${rounds} round(s) of ${atOnce} at once per side (ABBA order), after one uncounted warm-up of each`,
      'e2e times from just before the VirtualMachine POST; Running = first watch event with phase Running; marker = first poll (25 ms) of the pod\'s serial log on the host showing it',
      'raw: qemu-img overlay + virsh create of the converter\'s domain for the same defaulted VMI spec (user-mode NIC instead of the handler\'s tap), one session libvirtd as uid 107 for all raw domains, seeded with the prepared capabilities',
      `Kubernetes floor: a pod of the launcher pod's shape (init + 2 containers, base image, no stack) POST -> Running, interleaved with the sequential runs (s): ${fmt(seq.floor)}; a pod of one container and no init container: ${fmt(seq.floorSingle)} (p50 ${median(seq.floorSingle)} vs ${median(seq.floor)})`,
      `sequential samples (s): e2e Running ${fmt(seq.running)}; e2e marker ${fmt(seq.marker)}; raw marker ${fmt(seq.raw)}; raw virsh create returned ${fmt(seq.rawCreated)}`,
      `e2e milestones p50 from POST (s, watch events): ${milestones.map((x) => `${x.m} ${x.p50.toFixed(2)}`).join(', ')}`,
      ...par.e2e.map((r, k) => (r.failed ? `at once round ${k + 1}: e2e FAILED (see FAILURES)` : `at once round ${k + 1}: e2e VMs per node ${JSON.stringify(r.perNode)}; e2e Running (s) ${fmt(r.perVm.map((x) => x.running))}; e2e markers (s) ${fmt(r.perVm.map((x) => x.marker))}`)),
      ...par.e2e.flatMap((r, k) => {
        if (r.failed || !r.timelines) return [];
        const p50 = percentile(r.perVm.map((x) => x.running), 50);
        const slow = r.timelines.filter((x) => (x.t.Running ?? Infinity) > 2 * p50);
        return slow.length ? [`at once round ${k + 1}, VMs Running later than 2x the round's p50 (${p50.toFixed(2)} s), milestones from their POST (s): ${slow.map((x) => `${x.name} on ${x.node}: ${sortedTimeline(x.t)}`).join('; ')}`] : [];
      }),
      ...par.e2e.flatMap((r, k) => {
        if (r.failed || !r.timelines) return [];
        // Per VMI: from its launcher being ready to its handler having prepared the pod network (the handler's
        // queue wait plus the preparing), and the preparing alone, as the handler logged it.
        const wait = r.timelines.map((x) => ({ x, w: (x.t['pod network prepared'] ?? NaN) - (x.t['launcher ready'] ?? NaN) }));
        return [`at once round ${k + 1}, handler: launcher ready -> pod network prepared (s) ${wait.map(({ x, w }) => `${x.name}@${x.node} ${Number.isFinite(w) ? w.toFixed(2) : 'n/a'}`).join(', ')}; the preparing itself (ms) ${r.timelines.map((x) => x.prepareMs ?? 'n/a').join(', ')}`];
      }),
      `sequential, handler: pod network preparing (ms, its log) ${seq.prepareMs.join(', ') || 'n/a'}`,
      ...par.raw.map((r, k) => `at once round ${k + 1}: raw virsh create returned (s) ${fmt(r.perVm.map((x) => x.running))}; raw markers (s) ${fmt(r.perVm.map((x) => x.marker))}`),
      `launcher ready (its log): capabilities ${ready.map((r) => r.capabilities).join(', ') || 'n/a'}; capabilities load p50 ${median(ready.map((r) => r.capabilitiesMs))} ms; launcher start-up p50 ${median(ready.map((r) => r.startupMs))} ms`,
      `memory at ${SETTLED_COUNTS} s of counting after the marker, working set = usage - total_inactive_file; pod - guest RAM (MiB): ${fmt(podBeyond, 1)}; raw: ${fmt(rawBeyond, 1)}; pod - guest RAM touched: ${fmt(podBeyondTouched, 1)}; raw: ${fmt(rawBeyondTouched, 1)}`,
      `QEMU p50 (MiB), pod / raw: guest RAM touched ${percentile(mem.pod.map((s) => mib(s.guestTouched)), 50).toFixed(1)} / ${percentile(mem.raw.map((s) => mib(s.guestTouched)), 50).toFixed(1)} of ${mib(guestBytes)}; TCG translation cache resident ${percentile(mem.pod.map((s) => mib(s.tcgCache)), 50).toFixed(1)} / ${percentile(mem.raw.map((s) => mib(s.tcgCache)), 50).toFixed(1)} (QEMU's default TCG cache is a 1 GiB mapping that fills as the guest runs new code); QEMU anon beyond guest RAM touched ${percentile(mem.pod.map((s) => mib(s.qemuAnon - s.guestTouched)), 50).toFixed(1)} / ${percentile(mem.raw.map((s) => mib(s.qemuAnon - s.guestTouched)), 50).toFixed(1)}`,
      `pod memory p50 (MiB): working set ${percentile(mem.pod.map((s) => mib(s.workingSet)), 50).toFixed(1)}, total_rss ${percentile(mem.pod.map((s) => mib(s.rss)), 50).toFixed(1)}, active file ${percentile(mem.pod.map((s) => mib(s.activeFile)), 50).toFixed(1)}, file-backed RSS of its processes ${percentile(mem.pod.map((s) => mib(s.rssFile)), 50).toFixed(1)}, QEMU RSS ${percentile(podQemu, 50).toFixed(1)} (anon ${percentile(mem.pod.map((s) => mib(s.qemuAnon)), 50).toFixed(1)}); RSS by process: ${byKind(mem.pod)}`,
      `raw memory p50 (MiB): working set ${percentile(mem.raw.map((s) => mib(s.workingSet)), 50).toFixed(1)}, total_rss ${percentile(mem.raw.map((s) => mib(s.rss)), 50).toFixed(1)}, QEMU RSS ${percentile(rawQemu, 50).toFixed(1)} (anon ${percentile(mem.raw.map((s) => mib(s.qemuAnon)), 50).toFixed(1)}); RSS by process: ${byKind(mem.raw)}`,
      `LAUNCHER_MEMORY_OVERHEAD_BYTES (virt/controller, provisional) = ${mib(LAUNCHER_MEMORY_OVERHEAD_BYTES)} MiB; measured beyond the guest RAM touched: working set p95 ${p95(podBeyondTouched).toFixed(1)} MiB (max ${Math.max(...podBeyondTouched).toFixed(1)}), anon p95 ${p95(anonBeyond).toFixed(1)} MiB, anon + all file-backed RSS (a pod that is first to load node/libvirt/QEMU on its node) p95 ${p95(upperBeyond).toFixed(1)} MiB -> a request covering the upper bound is ~${rounded(p95(upperBeyond))} MiB`,
      `load average (1/5/15 min, 2 cores shared with the other tests): ${loads.join('; ')}`,
    );
    const slow = timelines.filter((t) => (t.marker ?? 0) > 2 * percentile(seq.marker, 50));
    if (slow.length) notes.push(`sequential outliers (marker > 2x p50), milestones from POST (s): ${slow.map(sortedTimeline).join('; ')}`);
    if (failures.length) notes.push(`FAILURES (left out of the figures): ${failures.join(' || ')}`);
    return { suite: 'vm', figures, notes };
  } finally {
    await clocks?.stop();
    if (created.length) await deleteVms(kube, created).catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
    await kube.delete(RESOURCES.namespaces, undefined, NAMESPACE).catch(() => undefined);
    await until(`namespace ${NAMESPACE} to be gone`, GONE_TIMEOUT_MS, () => namespaceGone(kube), 500).catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
    await daemon?.stop().catch(() => undefined);
    await removeCgroup(cgroup).catch((e: unknown) => log(`cleanup: cannot remove ${cgroup}: ${(e as Error).message}`));
    rmSync(base, { recursive: true, force: true });
  }
}
