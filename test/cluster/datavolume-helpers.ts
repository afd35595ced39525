// Helpers for DataVolume tests on the local cluster: DataVolume manifests, their status, the folder a
// local-path claim lives in on this host, and the raw bytes a qcow2 should become.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestGuest } from '../guest/guest.js';
import { waitFor } from './exec.js';
import { api } from './kube-api.js';
import { nodeDir, NODES } from './paths.js';
import { kubectl, kubectlOk } from './testing.js';

export interface DvCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface DvObject {
  metadata: { name: string; namespace: string; uid: string; annotations?: Record<string, string>; ownerReferences?: { kind: string; uid: string }[] };
  status?: { phase?: string; progress?: string; restartCount?: number; claimName?: string; conditions?: DvCondition[] };
}

/** `kubectl apply` of one object (a DataVolume, a Secret, a VM). */
export const applyObject = (obj: unknown): void => void kubectlOk(['apply', '-f', '-'], JSON.stringify(obj));

/** A phase the DataVolume stays in: the place to stop waiting and look. */
export const phaseEnded = (phase?: string): boolean => phase === 'Succeeded' || phase === 'Failed';

export const IMMEDIATE = { 'cdi.kubevirt.io/storage.bind.immediate.requested': 'true' };

export function httpDataVolume(namespace: string, name: string, url: string, size: string, o: { annotations?: Record<string, string>; http?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: { name, namespace, ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: { source: { http: { url, ...o.http } }, storage: { resources: { requests: { storage: size } } } },
  };
}

export async function getDv(namespace: string, name: string): Promise<DvObject | undefined> {
  try {
    return await api<DvObject>('GET', `/apis/cdi.kubevirt.io/v1beta1/namespaces/${namespace}/datavolumes/${name}`);
  } catch (e) {
    if ((e as { code?: number }).code === 404) return undefined;
    throw e;
  }
}

export const condition = (dv: DvObject | undefined, type: string): DvCondition | undefined => dv?.status?.conditions?.find((c) => c.type === type);

/** Polls the DataVolume until `until` holds; `seen` collects every status observed (for progress). */
export async function waitDv(namespace: string, name: string, until: (dv: DvObject) => boolean, what: string, timeoutMs = 240_000, seen?: DvObject['status'][]): Promise<DvObject> {
  let last: DvObject | undefined;
  return waitFor(`DataVolume ${namespace}/${name}: ${what}`, timeoutMs, async () => {
    last = await getDv(namespace, name);
    if (last?.status && seen) seen.push(last.status);
    return last && until(last) ? last : undefined;
  }, 250).catch((e: unknown) => {
    const events = kubectl(['-n', namespace, 'get', 'events', '--sort-by=.lastTimestamp']).stdout.split('\n').slice(-12).join('\n');
    const pods = kubectl(['-n', namespace, 'get', 'pods', '-o', 'wide']).stdout;
    throw new Error(`${(e as Error).message}; last status: ${JSON.stringify(last?.status)}\npods:\n${pods}\nevents:\n${events}`);
  });
}

/** The host folder of a bound local-path claim (the local cluster's nodes share this file system). */
export async function claimDir(namespace: string, claim: string): Promise<string> {
  const pvc = await api<{ spec: { volumeName?: string } }>('GET', `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${claim}`);
  const volume = pvc.spec.volumeName;
  if (!volume) throw new Error(`claim ${namespace}/${claim} is not bound`);
  for (const n of NODES) {
    const dir = join(nodeDir(n), 'local-path');
    const hit = existsSync(dir) ? readdirSync(dir).find((d) => d.startsWith(volume)) : undefined;
    if (hit) return join(dir, hit);
  }
  throw new Error(`no local-path folder for volume ${volume} of ${namespace}/${claim}`);
}

/** The raw image qemu-img makes of `qcow2` (what disk.img must begin with). */
export function rawOf(qcow2: string, out: string): string {
  execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', qcow2, out]);
  return out;
}

/** True when `disk` starts with exactly the bytes of `raw` and holds only zeros after them. */
export function diskMatches(disk: string, raw: string): boolean {
  const len = statSync(raw).size;
  if (statSync(disk).size < len) return false;
  if (execFileSync('cmp', ['-n', String(len), disk, raw], { stdio: ['ignore', 'pipe', 'pipe'] }).length !== 0) return false;
  const fd = openSync(disk, 'r');
  try {
    const buf = Buffer.alloc(1024 * 1024);
    for (let off = len; off < statSync(disk).size; off += buf.length) {
      const n = readSync(fd, buf, 0, buf.length, off);
      if (buf.subarray(0, n).some((b) => b !== 0)) return false;
    }
    return true;
  } finally {
    closeSync(fd);
  }
}

/** The test guest's qcow2 (its file and bytes) and the raw disk every import of it must produce, in `work`. */
export interface GuestDisks {
  work: string;
  qcow2File: string;
  qcow2: Buffer;
  raw: string;
}

/** Builds (or reuses) the test guest and converts it once into a fresh work folder named after `prefix`. */
export async function guestDisks(prefix: string): Promise<GuestDisks> {
  const guest = await buildTestGuest();
  const work = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { work, qcow2File: guest.bootableQcow2, qcow2: readFileSync(guest.bootableQcow2), raw: rawOf(guest.bootableQcow2, join(work, 'guest.raw')) };
}

/** Removes a work folder of guestDisks (none when beforeAll failed before making it). */
export function removeWork(work: string | undefined): void {
  if (work) rmSync(work, { recursive: true, force: true });
}
