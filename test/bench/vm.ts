// `npm run bench -- vm`: the stack on the local cluster against libvirt by hand, on the same guest, in one
// run. The guest: the test-guest containerDisk's /disk/disk.qcow2 (BIOS boot), 1 vCPU, the accelerator the
// handlers labelled their nodes with (TCG here), no cloud-init disk (the raw domain has none either).
//   e2e: POST of a VirtualMachine (runStrategy Always) -> VMI Running (first seen on a watch) -> the guest's
//        serial marker (the launcher pod's serial log, read on the host through the kubelet's pod folder);
//        N sequential VMs (each deleted and gone before the next) and N created at once;
//   raw: a private qcow2 overlay over a copy of the same qcow2 and `virsh create` of the domain XML the
//        launcher's converter makes for the same VMI spec (serial to a file), on a plain session libvirtd as
//        uid 107 seeded with the launcher's prepared capabilities; sequential (interleaved with the e2e runs,
//        so drift on this shared machine hits both alike) and N at once;
//   memory: for every sequential VM once it has counted for a few seconds, the launcher pod's cgroup working
//        set (usage - total_inactive_file, what the kubelet counts) minus the guest's RAM, beside the same
//        measure for the raw libvirtd + QEMU moved into a cgroup of their own.
// Knobs: VIRTSTACK_BENCH_VMS (sequential, 10), VIRTSTACK_BENCH_AT_ONCE (10), VIRTSTACK_BENCH_GUEST_MEMORY (128Mi).
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
import { HttpKubeApi, isGone, isNotFound, loadKubeConfig, RESOURCES, type KubeApi, type KubeObject } from '../../virt/kube/index.js';
import { vmiToDomainXml, type Accelerator } from '../../virt/launcher/domain/index.js';
import { supportsDirectIo } from '../../virt/launcher/volumes/prepare-volumes.js';
import { LABELS, LAUNCHER_POD } from '../../virt/protocol/launcher-pod.js';
import { hostPathOnNode, ensureStack, SERIAL_LOG, vmObject, type VmTemplateSpec } from '../cluster/stack.js';
import { rawRequest } from '../cluster/kube-api.js';
import { CGROUP_PARENT, KUBELET_ROOT_DIR, kubeconfigPath } from '../cluster/paths.js';
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
}
interface VmiLite extends KubeObject {
  status?: { phase?: string };
}

/** When each VMI of the namespace was first seen in each phase (a watch, so no poll interval blurs it). */
class PhaseClock {
  private readonly seen = new Map<string, Map<string, number>>();
  private readonly abort = new AbortController();
  private readonly loop: Promise<void>;

  constructor(private readonly kube: KubeApi) {
    this.loop = this.run();
  }

  private note(o: VmiLite, at: number): void {
    const name = o.metadata.name ?? '';
    const phases = this.seen.get(name) ?? new Map<string, number>();
    this.seen.set(name, phases);
    if (!phases.has('Created')) phases.set('Created', at);
    const phase = o.status?.phase;
    if (phase && !phases.has(phase)) phases.set(phase, at);
  }

  private async run(): Promise<void> {
    const res = RESOURCES.virtualMachineInstances;
    while (!this.abort.signal.aborted) {
      try {
        const list = await this.kube.list<VmiLite>(res, { namespace: NAMESPACE });
        for (const o of list.items) this.note(o, performance.now());
        await this.kube.watch<VmiLite>(res, { namespace: NAMESPACE, resourceVersion: list.resourceVersion, timeoutSeconds: 300 }, (e) => {
          if (e.type === 'ADDED' || e.type === 'MODIFIED') this.note(e.object, performance.now());
        }, this.abort.signal);
      } catch (e) {
        if (this.abort.signal.aborted) return;
        // 410: the list was too old, list again; anything else is logged and retried (the run then shows gaps).
        if (!isGone(e)) log(`VMI watch failed, watching again: ${(e as Error).message}`);
        await delay(200);
      }
    }
  }

  at(name: string, phase: string): number | undefined {
    return this.seen.get(name)?.get(phase);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }
}

interface VmRun {
  name: string;
  t0: number;
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

/** Polls until every VM is Running and its guest printed the marker; the pods are found as they appear. */
async function untilBooted(kube: KubeApi, clock: PhaseClock, runs: VmRun[]): Promise<void> {
  const deadline = performance.now() + BOOT_TIMEOUT_MS;
  let listedAt = -Infinity;
  while (runs.some((r) => r.running === undefined || r.marker === undefined)) {
    const now = performance.now();
    if (now > deadline) {
      const pending = runs.filter((r) => r.running === undefined || r.marker === undefined).map((r) => `${r.name} (running: ${r.running !== undefined}, marker: ${r.marker !== undefined}, pod: ${r.pod?.name ?? 'none'})`);
      throw new BenchError('boot', `not booted within ${BOOT_TIMEOUT_MS / 1000} s: ${pending.join('; ')}`, `kubectl -n ${NAMESPACE} get vmi,pods; kubectl -n ${NAMESPACE} get events`);
    }
    if (runs.some((r) => !r.pod) && now - listedAt >= 200) {
      listedAt = now;
      const pods = await kube.list<PodLite>(RESOURCES.pods, { namespace: NAMESPACE, labelSelector: `${LABELS.app}=${LABELS.appLauncher}` });
      for (const p of pods.items) {
        const r = runs.find((x) => x.name === p.metadata.labels?.[LABELS.domain]);
        if (r && !r.pod && p.spec?.nodeName && p.metadata.uid && p.metadata.name) r.pod = { name: p.metadata.name, uid: p.metadata.uid, node: p.spec.nodeName, serial: serialOnHost(p.spec.nodeName, p.metadata.uid) };
      }
    }
    for (const r of runs) {
      r.running ??= clock.at(r.name, 'Running');
      if (r.pod && r.marker === undefined && readSerial(r.pod.serial).includes(GUEST_MARKER)) r.marker = performance.now();
    }
    await delay(POLL_MS);
  }
}

async function createVm(kube: KubeApi, name: string, guestMemory: string): Promise<VmRun> {
  const t0 = performance.now();
  await kube.create(RESOURCES.virtualMachines, benchVm(name, guestMemory));
  return { name, t0 };
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

/** What the launcher said when it was ready: whether the prepared capabilities held, and its start-up time. */
async function launcherReady(pod: string): Promise<{ capabilities: string; capabilitiesMs: number; startupMs: number } | undefined> {
  const r = await rawRequest('GET', `/api/v1/namespaces/${NAMESPACE}/pods/${pod}/log?container=${LAUNCHER_POD.computeContainer}`);
  if (r.code !== 200) return undefined;
  for (const line of r.body.split('\n')) {
    if (!line.includes('launcher ready')) continue;
    try {
      const j = JSON.parse(line) as { capabilities?: string; capabilitiesMs?: number; startupMs?: number };
      return { capabilities: j.capabilities ?? '?', capabilitiesMs: j.capabilitiesMs ?? NaN, startupMs: j.startupMs ?? NaN };
    } catch {
      // not a JSON line: keep looking
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Memory

interface MemorySample {
  /** usage_in_bytes - total_inactive_file: the kubelet's working set. */
  workingSet: number;
  rss: number;
  activeFile: number;
  qemuRss: number;
  qemuAnon: number;
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

function sampleCgroup(dir: string): MemorySample {
  const st = statOf(dir);
  const usage = Number(readFileSync(join(dir, 'memory.usage_in_bytes'), 'utf8'));
  const byProcess: Record<string, number> = {};
  let qemuRss = 0;
  let qemuAnon = 0;
  for (const pid of pidsUnder(dir)) {
    try {
      const kind = processKind(pid);
      const rss = statusKb(pid, 'VmRSS');
      byProcess[kind] = (byProcess[kind] ?? 0) + rss;
      if (kind === 'qemu') {
        qemuRss += rss;
        qemuAnon += statusKb(pid, 'RssAnon');
      }
    } catch {
      // the process ended between the listing and the read
    }
  }
  return { workingSet: usage - (st.total_inactive_file ?? 0), rss: st.total_rss ?? 0, activeFile: st.total_active_file ?? 0, qemuRss, qemuAnon, byProcess };
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

/** Moves the raw daemon's processes (and their memory charges) into a cgroup of their own; its QEMUs are born there. */
async function adoptDaemon(cgroup: string, daemonDir: string): Promise<void> {
  mkdirSync(cgroup, { recursive: true });
  writeFileSync(join(cgroup, 'memory.move_charge_at_immigrate'), '3');
  const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(daemonDir);
    } catch {
      return false;
    }
  });
  if (!pids.some((p) => processKind(Number(p)) === 'libvirtd')) throw new BenchError('raw libvirtd', `no libvirtd process names ${daemonDir}`, 'startRawLibvirtd changed how it starts the daemon');
  for (const p of pids) writeFileSync(join(cgroup, 'cgroup.procs'), p);
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

function rawQemuSample(raw: RawBench): MemorySample {
  return sampleCgroup(raw.cgroup);
}

// ---------------------------------------------------------------------------------------------------------

function clusterAccelerator(labels: (string | undefined)[]): Accelerator {
  // The raw guest runs as a launcher would on these nodes: KVM only when every node's handler found it usable.
  return labels.length > 0 && labels.every((l) => l === 'kvm') ? 'kvm' : 'tcg';
}

function goal(met: boolean, text: string): string {
  return `${text}: ${met ? 'met' : 'NOT met'}`;
}

export async function run(): Promise<BenchResult> {
  const sequential = knob('VIRTSTACK_BENCH_VMS', 10);
  const atOnce = knob('VIRTSTACK_BENCH_AT_ONCE', 10);
  const guestMemory = process.env.VIRTSTACK_BENCH_GUEST_MEMORY || '128Mi';
  const guestBytes = parseQuantity(guestMemory);
  if (!guestBytes) throw new BenchError('VIRTSTACK_BENCH_GUEST_MEMORY', `"${guestMemory}" is not a quantity`, 'use e.g. 128Mi or 256Mi');
  const loads: string[] = [`start ${load()}`];
  const notes: string[] = [];

  log('the stack on the local cluster (cached: seconds)');
  await ensureStack();
  const host = await prepareNodeHost();
  const kube = new HttpKubeApi(loadKubeConfig({ kubeconfig: kubeconfigPath() }), { userAgent: 'virtstack-bench-vm' });
  const nodes = await kube.list(RESOURCES.nodes);
  const accelerator = clusterAccelerator(nodes.items.map((n) => n.metadata.labels?.[LABELS.accelerator]));
  const others = async (): Promise<number> => (await kube.list<VmiLite>(RESOURCES.virtualMachineInstances)).items.filter((v) => v.metadata.namespace !== NAMESPACE).length;
  const othersAtStart = await others();

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
  let clock: PhaseClock | undefined;
  const created: string[] = [];
  try {
    daemon = await startRawLibvirtd({ dir: join(base, 'daemon'), capsFrom: host.capsDir });
    await adoptDaemon(cgroup, join(base, 'daemon'));
    const template = (benchVm('template', guestMemory) as unknown as { spec: { template: { spec: VirtualMachineInstanceSpec } } }).spec.template.spec;
    // The launcher converts the VMI with virt/api's defaults applied (no admission webhook stores them yet).
    const raw: RawBench = { daemon, dir: base, backing, cgroup, accelerator, spec: defaultVmiSpec(template) };

    await freshNamespace(kube);
    clock = new PhaseClock(kube);

    // Warm-up, not counted: the first pod on a node after a while pays image and page-cache misses.
    log('warm-up VM and raw domain (not counted)');
    const warm = await createVm(kube, 'warm-up', guestMemory);
    created.push(warm.name);
    await untilBooted(kube, clock, [warm]);
    await deleteVms(kube, [warm.name]);
    const warmRaw = await rawCreate(raw, 999);
    await rawUntilBooted([warmRaw]);
    await rawDestroy(raw, [warmRaw]);

    const seq = { running: [] as number[], marker: [] as number[], raw: [] as number[], rawCreated: [] as number[] };
    const phases: Record<string, number[]> = { Created: [], Pending: [], Scheduling: [], Scheduled: [], Running: [] };
    const mem = { pod: [] as MemorySample[], raw: [] as MemorySample[] };
    const ready: { capabilities: string; capabilitiesMs: number; startupMs: number }[] = [];
    for (let i = 0; i < sequential; i++) {
      const r = await rawCreate(raw, i);
      await rawUntilBooted([r]);
      seq.raw.push(seconds(r.marker! - r.t0));
      seq.rawCreated.push(seconds(r.created! - r.t0));
      await untilSettled(r.serial);
      mem.raw.push(rawQemuSample(raw));
      await rawDestroy(raw, [r]);

      const name = `seq-${i}`;
      const v = await createVm(kube, name, guestMemory);
      created.push(name);
      await untilBooted(kube, clock, [v]);
      seq.running.push(seconds(v.running! - v.t0));
      seq.marker.push(seconds(v.marker! - v.t0));
      for (const p of Object.keys(phases)) {
        const at = clock.at(name, p);
        if (at !== undefined) phases[p]!.push(seconds(at - v.t0));
      }
      await untilSettled(v.pod!.serial);
      mem.pod.push(sampleCgroup(podCgroup(v.pod!.node, v.pod!.uid)));
      const lr = await launcherReady(v.pod!.name);
      if (lr) ready.push(lr);
      await deleteVms(kube, [name]);
      log(`sequential ${i + 1}/${sequential}: e2e Running ${seq.running.at(-1)!.toFixed(2)} s, marker ${seq.marker.at(-1)!.toFixed(2)} s on ${v.pod!.node}; raw marker ${seq.raw.at(-1)!.toFixed(2)} s; pod working set ${mib(mem.pod.at(-1)!.workingSet).toFixed(0)} MiB, raw ${mib(mem.raw.at(-1)!.workingSet).toFixed(0)} MiB; load ${load()}`);
    }
    loads.push(`after sequential ${load()}`);

    log(`${atOnce} raw domains at once`);
    const rawStart = performance.now();
    const rawRuns = await Promise.all(Array.from({ length: atOnce }, (_, j) => rawCreate(raw, 100 + j)));
    const rawAllCreated = seconds(Math.max(...rawRuns.map((r) => r.created!)) - rawStart);
    await rawUntilBooted(rawRuns);
    const rawAllMarkers = seconds(Math.max(...rawRuns.map((r) => r.marker!)) - rawStart);
    await rawDestroy(raw, rawRuns);
    loads.push(`after raw at once ${load()}`);

    log(`${atOnce} VMs at once`);
    const names = Array.from({ length: atOnce }, (_, j) => `par-${j}`);
    created.push(...names);
    const parStart = performance.now();
    const parRuns = await Promise.all(names.map((n) => createVm(kube, n, guestMemory)));
    await untilBooted(kube, clock, parRuns);
    const allRunning = seconds(Math.max(...parRuns.map((r) => r.running!)) - parStart);
    const allMarkers = seconds(Math.max(...parRuns.map((r) => r.marker!)) - parStart);
    loads.push(`after e2e at once ${load()}`);
    const perNode = parRuns.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.pod!.node]: (acc[r.pod!.node] ?? 0) + 1 }), {});
    await deleteVms(kube, names);
    log(`at once: raw all created ${rawAllCreated.toFixed(2)} s, all markers ${rawAllMarkers.toFixed(2)} s; e2e all Running ${allRunning.toFixed(2)} s, all markers ${allMarkers.toFixed(2)} s`);

    const overhead = (p: number): number => percentile(seq.marker, p) - percentile(seq.raw, p);
    const pct = (name: string, unit: string, values: number[], base: { name: string; values: number[] }, p: number, g?: (v: number, b: number) => string): BenchFigure => {
      const v = percentile(values, p);
      const b = percentile(base.values, p);
      return { name: `${name} p${p}`, unit, value: v, baseline: { name: `${base.name} p${p}`, value: b }, ratio: v / b, ...(g ? { goal: g(v, b) } : {}) };
    };
    const ws = (s: MemorySample): number => mib(s.workingSet - guestBytes);
    const podBeyond = mem.pod.map(ws);
    const rawBeyond = mem.raw.map(ws);
    const podQemu = mem.pod.map((s) => mib(s.qemuRss));
    const rawQemu = mem.raw.map((s) => mib(s.qemuRss));
    const figures: BenchFigure[] = [
      pct('create -> VMI Running, sequential', 's', seq.running, { name: 'raw overlay + virsh create returned', values: seq.rawCreated }, 50),
      pct('create -> VMI Running, sequential', 's', seq.running, { name: 'raw overlay + virsh create returned', values: seq.rawCreated }, 95),
      pct('create -> guest marker, sequential', 's', seq.marker, { name: 'raw virsh create -> marker', values: seq.raw }, 50),
      pct('create -> guest marker, sequential', 's', seq.marker, { name: 'raw virsh create -> marker', values: seq.raw }, 95),
      { name: 'control-plane overhead (e2e - raw, to marker) p50', unit: 's', value: overhead(50), baseline: { name: 'raw virsh create -> marker p50', value: percentile(seq.raw, 50) }, ratio: percentile(seq.marker, 50) / percentile(seq.raw, 50), goal: goal(overhead(50) <= 1.5, '<= 1.5 s') },
      { name: 'control-plane overhead (e2e - raw, to marker) p95', unit: 's', value: overhead(95), baseline: { name: 'raw virsh create -> marker p95', value: percentile(seq.raw, 95) }, ratio: percentile(seq.marker, 95) / percentile(seq.raw, 95), goal: goal(overhead(95) <= 3, '<= 3 s') },
      { name: `${atOnce} at once -> all VMIs Running`, unit: 's', value: allRunning, baseline: { name: `raw ${atOnce} at once -> all virsh create returned`, value: rawAllCreated }, ratio: allRunning / rawAllCreated, goal: goal(allRunning <= 1.5 * rawAllCreated, '<= 1.5x raw') },
      { name: `${atOnce} at once -> all guest markers`, unit: 's', value: allMarkers, baseline: { name: `raw ${atOnce} at once -> all markers`, value: rawAllMarkers }, ratio: allMarkers / rawAllMarkers, goal: goal(allMarkers <= 1.5 * rawAllMarkers, '<= 1.5x raw') },
      pct('launcher pod working set beyond guest RAM', 'MiB', podBeyond, { name: 'raw libvirtd + QEMU cgroup working set beyond guest RAM', values: rawBeyond }, 50, (v) => goal(v <= 120, '<= 120 MiB')),
      pct('launcher pod working set beyond guest RAM', 'MiB', podBeyond, { name: 'raw libvirtd + QEMU cgroup working set beyond guest RAM', values: rawBeyond }, 95, (v) => goal(v <= 120, '<= 120 MiB')),
      pct('QEMU RSS in the launcher pod (guest RAM touched + QEMU)', 'MiB', podQemu, { name: 'raw QEMU RSS', values: rawQemu }, 50),
    ];

    const median = (xs: number[]): string => (xs.length ? percentile(xs, 50).toFixed(2) : 'n/a');
    const byKind = (samples: MemorySample[]): string => {
      const kinds = [...new Set(samples.flatMap((s) => Object.keys(s.byProcess)))].sort();
      return kinds.map((k) => `${k} ${percentile(samples.map((s) => mib(s.byProcess[k] ?? 0)), 50).toFixed(1)}`).join(', ');
    };
    const podWsP95 = percentile(mem.pod.map((s) => s.workingSet), 95);
    notes.push(
      `guest: test-guest containerDisk /disk/disk.qcow2 (BIOS), ${guestMemory}, 1 vCPU, ${accelerator.toUpperCase()} (node labels ${LABELS.accelerator}: ${nodes.items.map((n) => `${n.metadata.name}=${n.metadata.labels?.[LABELS.accelerator] ?? '?'}`).join(', ')}); no cloud-init disk; ${sequential} sequential VMs (interleaved with ${sequential} raw domains), ${atOnce} at once each side, after one uncounted warm-up of each`,
      'e2e times from just before the VirtualMachine POST; Running = first watch event with phase Running; marker = first poll (25 ms) of the pod\'s serial log on the host showing it',
      'raw: qemu-img overlay + virsh create of the converter\'s domain for the same defaulted VMI spec (user-mode NIC instead of the handler\'s tap), session libvirtd as uid 107 seeded with the prepared capabilities, one daemon for all raw domains',
      `sequential samples (s): e2e Running ${fmt(seq.running)}; e2e marker ${fmt(seq.marker)}; raw marker ${fmt(seq.raw)}`,
      `e2e phases p50 from POST (s): VMI created ${median(phases.Created!)}, Pending ${median(phases.Pending!)}, Scheduling ${median(phases.Scheduling!)}, Scheduled ${median(phases.Scheduled!)}, Running ${median(phases.Running!)}, marker ${median(seq.marker)}`,
      `at once: e2e VMs per node ${JSON.stringify(perNode)}; e2e Running (s) ${fmt(parRuns.map((r) => seconds(r.running! - parStart)))}; e2e markers (s) ${fmt(parRuns.map((r) => seconds(r.marker! - parStart)))}; raw markers (s) ${fmt(rawRuns.map((r) => seconds(r.marker! - rawStart)))}`,
      `launcher ready (its log): capabilities ${ready.map((r) => r.capabilities).join(', ') || 'n/a'}; capabilities load p50 ${median(ready.map((r) => r.capabilitiesMs))} ms; launcher start-up p50 ${median(ready.map((r) => r.startupMs))} ms`,
      `memory at ${SETTLED_COUNTS} s of counting after the marker, working set = usage - total_inactive_file; pod beyond guest RAM (MiB): ${fmt(podBeyond, 1)}; raw: ${fmt(rawBeyond, 1)}`,
      `pod memory p50 (MiB): working set ${percentile(mem.pod.map((s) => mib(s.workingSet)), 50).toFixed(1)}, total_rss ${percentile(mem.pod.map((s) => mib(s.rss)), 50).toFixed(1)}, active file ${percentile(mem.pod.map((s) => mib(s.activeFile)), 50).toFixed(1)}, QEMU RSS ${percentile(podQemu, 50).toFixed(1)} (anon ${percentile(mem.pod.map((s) => mib(s.qemuAnon)), 50).toFixed(1)}); RSS by process: ${byKind(mem.pod)}`,
      `raw memory p50 (MiB): working set ${percentile(mem.raw.map((s) => mib(s.workingSet)), 50).toFixed(1)}, QEMU RSS ${percentile(rawQemu, 50).toFixed(1)} (anon ${percentile(mem.raw.map((s) => mib(s.qemuAnon)), 50).toFixed(1)}); RSS by process: ${byKind(mem.raw)}`,
      `controller's LAUNCHER_MEMORY_OVERHEAD_BYTES = ${mib(LAUNCHER_MEMORY_OVERHEAD_BYTES)} MiB (request = guest RAM + it); measured pod working set beyond guest RAM p95 ${mib(podWsP95 - guestBytes).toFixed(1)} MiB, max ${Math.max(...podBeyond).toFixed(1)} MiB`,
    );
    loads.push(`end ${load()}`);
    const othersAtEnd = await others();
    notes.push(`load average (1/5/15 min) on 2 cores: ${loads.join('; ')}; VMIs of other namespaces (other tests on the shared cluster) at start ${othersAtStart}, at end ${othersAtEnd}`);
    return { suite: 'vm', figures, notes };
  } finally {
    await clock?.stop();
    if (created.length) await deleteVms(kube, created).catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
    await kube.delete(RESOURCES.namespaces, undefined, NAMESPACE).catch(() => undefined);
    await until(`namespace ${NAMESPACE} to be gone`, GONE_TIMEOUT_MS, () => namespaceGone(kube), 500).catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
    await daemon?.stop().catch(() => undefined);
    if (existsSync(cgroup)) {
      try {
        rmdirSync(cgroup);
      } catch (e) {
        log(`cleanup: cannot remove ${cgroup}: ${(e as Error).message}`);
      }
    }
    rmSync(base, { recursive: true, force: true });
  }
}
