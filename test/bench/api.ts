// `npm run bench -- api`: what the api adds to a client's request.
//   admission: p50/p99 of VirtualMachine creates (runStrategy Halted, real writes, one at a time) through
//   the kube-apiserver with the webhooks in place, against the same creates with the two webhook
//   configurations removed, in the same run (alternating blocks, so drift in the load hits both sides). The
//   configurations are restored in a finally, caBundle included. While they are removed, creates on the
//   cluster go unchecked: run this benchmark alone.
//   console: test/bench/api-console.ts (its own file) adds its figures when present.
import { loadavg } from 'node:os';
import type { BenchFigure, BenchResult } from './main.js';
import { MUTATING_WEBHOOKS, VALIDATING_WEBHOOKS } from '../../virt/certs/cert-manager.js';
import { MUTATING_CONFIGURATION, VALIDATING_CONFIGURATION } from '../../virt/apiserver/admission/webhooks.js';
import { HttpKubeApi, loadKubeConfig, RESOURCES, type KubeApi, type KubeObject, type ResourceRef } from '../../virt/kube/index.js';
import { rawRequest } from '../cluster/kube-api.js';
import { kubeconfigPath } from '../cluster/paths.js';
import { ensureStack, vmObject } from '../cluster/stack.js';

const CREATES = Number(process.env.BENCH_API_CREATES ?? 200);
const WARMUP = 20;

/** The contract of the console section's file (helper C's): figures and notes to add to this suite. */
export interface ApiBenchSection {
  figures: BenchFigure[];
  notes: string[];
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

async function createLatencies(namespace: string, prefix: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const body = JSON.stringify(vmObject(namespace, `${prefix}-${i}`, 'Halted'));
    const t0 = process.hrtime.bigint();
    const r = await rawRequest('POST', `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines`, body, 'application/json', 30_000);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.code !== 201) throw new Error(`create ${prefix}-${i}: ${r.code} ${r.body.slice(0, 300)}`);
    out.push(ms);
  }
  return out;
}

type Saved = KubeObject & Record<string, unknown>;

async function removeWebhooks(api: KubeApi): Promise<{ res: ResourceRef; obj: Saved }[]> {
  const saved: { res: ResourceRef; obj: Saved }[] = [];
  for (const [res, name] of [[MUTATING_WEBHOOKS, MUTATING_CONFIGURATION], [VALIDATING_WEBHOOKS, VALIDATING_CONFIGURATION]] as const) {
    const obj = await api.get<Saved>(res, undefined, name);
    saved.push({ res, obj });
    await api.delete(res, undefined, name);
  }
  return saved;
}

async function restoreWebhooks(api: KubeApi, saved: { res: ResourceRef; obj: Saved }[]): Promise<void> {
  for (const { res, obj } of saved) {
    const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, managedFields: _mf, ...meta } = obj.metadata as Record<string, unknown>;
    await api.create(res, { ...obj, metadata: meta } as Saved);
  }
}

/** Until the kube-apiserver routes creates through (or past) the webhooks: a VM with gpus tells which. */
async function waitAdmission(namespace: string, active: boolean): Promise<void> {
  const probe = vmObject(namespace, 'bench-probe', 'Halted', { edit: (s) => void ((s.domain.devices as Record<string, unknown>).gpus = [{ name: 'g', deviceName: 'x/y' }]) });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await rawRequest('POST', `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines?dryRun=All`, JSON.stringify(probe));
    if ((r.code === 422) === active) return;
    if (Date.now() > deadline) throw new Error(`admission did not become ${active ? 'active' : 'inactive'} within 60 s (last answer ${r.code})`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function consoleSection(): Promise<ApiBenchSection | undefined> {
  // Resolved at run time: the file is added by the console work and may not exist yet.
  const spec = './api-console.js';
  try {
    const mod = (await import(spec)) as { consoleSection?: () => Promise<ApiBenchSection> };
    return mod.consoleSection ? await mod.consoleSection() : undefined;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw e;
  }
}

/** Sum and count of each webhook's CREATE calls as the kube-apiserver times them (its own histogram). */
async function webhookTimes(): Promise<Map<string, { sum: number; count: number }>> {
  const r = await rawRequest('GET', '/metrics');
  const out = new Map<string, { sum: number; count: number }>();
  const line = /^apiserver_admission_webhook_admission_duration_seconds_(sum|count)\{([^}]*)\} (\S+)$/gm;
  for (const m of r.body.matchAll(line)) {
    const labels = m[2]!;
    if (!labels.includes('operation="CREATE"') || !labels.includes('rejected="false"')) continue;
    const name = /name="([^"]+)"/.exec(labels)?.[1];
    if (!name?.startsWith('virtualmachine')) continue;
    const e = out.get(name) ?? { sum: 0, count: 0 };
    e[m[1] as 'sum' | 'count'] += Number(m[3]);
    out.set(name, e);
  }
  return out;
}

function perCallMs(before: Map<string, { sum: number; count: number }>, after: Map<string, { sum: number; count: number }>): string[] {
  return [...after].map(([name, a]) => {
    const b = before.get(name) ?? { sum: 0, count: 0 };
    const n = a.count - b.count;
    return `${name} ${n > 0 ? (((a.sum - b.sum) / n) * 1000).toFixed(2) : '?'} ms mean over ${n} calls`;
  });
}

// Blocks alternate so that drift in the machine's load hits both sides alike.
const BLOCKS = Number(process.env.BENCH_API_BLOCKS ?? 3);

export async function admissionSection(): Promise<ApiBenchSection> {
  await ensureStack();
  const api = new HttpKubeApi(loadKubeConfig({ kubeconfig: kubeconfigPath() }), { userAgent: 'bench-api' });
  const namespace = `bench-api-${Date.now().toString(36)}`;
  await api.create(RESOURCES.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const loads: number[] = [];
  try {
    await waitAdmission(namespace, true);
    await createLatencies(namespace, 'warm', WARMUP);
    const withAll: number[] = [];
    const without: number[] = [];
    const blockP50s: string[] = [];
    const before = await webhookTimes();
    let timedWith = 0;
    for (let b = 0; b < BLOCKS; b++) {
      loads.push(loadavg()[0]!);
      const t0 = Date.now();
      const w = await createLatencies(namespace, `with-${b}`, CREATES);
      timedWith += Date.now() - t0;
      withAll.push(...w);
      const saved = await removeWebhooks(api);
      let wo: number[];
      try {
        await waitAdmission(namespace, false);
        await createLatencies(namespace, `warm-raw-${b}`, WARMUP);
        wo = await createLatencies(namespace, `raw-${b}`, CREATES);
      } finally {
        await restoreWebhooks(api, saved);
      }
      without.push(...wo);
      blockP50s.push(`${percentile(w, 50).toFixed(2)}/${percentile(wo, 50).toFixed(2)}`);
      await waitAdmission(namespace, true);
      await createLatencies(namespace, `warm-${b}`, WARMUP);
    }
    const after = await webhookTimes();
    const fig = (name: string, p: number): BenchFigure => {
      const value = percentile(withAll, p);
      const base = percentile(without, p);
      return { name, unit: 'ms', value, baseline: { name: `${name} without webhooks`, value: base }, ratio: value / base, ...(p === 50 ? { goal: '<= 5 ms added' } : {}) };
    };
    const p50 = fig('VM create p50 through the webhooks', 50);
    return {
      figures: [p50, fig('VM create p99 through the webhooks', 99), { name: 'added at p50', unit: 'ms', value: p50.value - p50.baseline!.value, goal: '<= 5 ms' }],
      notes: [
        `${CREATES * BLOCKS} creates with the webhooks and ${CREATES * BLOCKS} without, in ${BLOCKS} alternating blocks (p50 with/without per block: ${blockP50s.join(', ')} ms), one at a time, each a real write of a Halted VM; 1-min load average at each block ${loads.map((l) => l.toFixed(1)).join(', ')}`,
        'with webhooks: the mutating webhook (validation + defaults) and the validating webhook, each a TLS round trip from the kube-apiserver to virt-api',
        `the kube-apiserver's own timing of each webhook call during the with-blocks (${(timedWith / 1000).toFixed(1)} s, warm-ups included): ${perCallMs(before, after).join('; ')}`,
      ],
    };
  } finally {
    await api.delete(RESOURCES.namespaces, undefined, namespace).catch(() => undefined);
  }
}

export async function run(): Promise<BenchResult> {
  const admission = await admissionSection();
  const console = await consoleSection();
  return {
    suite: 'api',
    figures: [...admission.figures, ...(console?.figures ?? [])],
    notes: [...admission.notes, ...(console?.notes ?? ['console: no figures (test/bench/api-console.ts is not there yet)'])],
  };
}
