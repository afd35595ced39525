// virtctl image-upload dv NAME --image-path FILE --size SIZE: creates the upload DataVolume (unless
// --no-create), waits until it is UploadReady, streams the image to its upload server with a progress bar,
// and waits until the DataVolume is Succeeded. The upload goes through the Kubernetes API server's pod
// proxy with the kubeconfig's own credentials (RBAC: create on pods/proxy in the namespace) — not CDI's
// upload proxy and UploadTokenRequest (see README): the upload server accepts only the per-claim key
// written on the DataVolume's claim, which the caller must be allowed to read.
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { DataVolume } from '../../api/index.js';
import { parseQuantity } from '../../api/validation/quantity.js';
import { isNotFound, type KubeApi, type KubeObject } from '../../kube/api.js';
import { loadKubeConfig } from '../../kube/kubeconfig.js';
import { RESOURCES } from '../../kube/resources.js';
import { EXIT_OK, type CliCommand, type CliIo } from '../command.js';
import { CliError, CONNECTION_USAGE, runClusterCommand, usageError, type Cluster } from '../connection/index.js';
import { ProgressBar } from './progress-bar.js';

/** The names this command shares with the DataVolume controller (CDI's, and the upload key's). */
const UPLOAD_KEY_ANNOTATION = 'virtstack.io/upload-key';
const UPLOAD_KEY_HEADER = 'x-virtstack-upload-key';
const IMMEDIATE_BINDING = 'cdi.kubevirt.io/storage.bind.immediate.requested';
const UPLOAD_PORT = 8443;

const USAGE = `usage: virtctl image-upload dv NAME --image-path FILE [--size SIZE] [options]

Uploads a disk image (qcow2 or raw, optionally .gz/.xz) into the DataVolume NAME: creates it with an
upload source and SIZE (unless it exists or --no-create), waits until it is UploadReady, streams FILE to
its upload server with a progress bar, and waits until the DataVolume is Succeeded.

options:
  --image-path FILE       the image to upload (required)
  --size SIZE             the disk's size when the DataVolume is created, e.g. 1Gi
  --storage-class NAME    its StorageClass (default: the cluster's default)
  --access-mode MODE      its access mode (default: the class's, ReadWriteOnce)
  --force-bind            bind the claim now even on a WaitForFirstConsumer class (the upload is its consumer)
  --no-create             the DataVolume exists; do not create it
  --wait-secs N           how long to wait for UploadReady and for processing (default 300)
${CONNECTION_USAGE}`;

interface Input {
  name: string;
  imagePath: string;
  size?: string;
  storageClass?: string;
  accessMode?: AccessMode;
  forceBind: boolean;
  noCreate: boolean;
  waitMs: number;
  kubeconfig?: string;
  context?: string;
}

type DvObject = DataVolume & { status?: DataVolume['status'] };
const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] as const;
type AccessMode = (typeof ACCESS_MODES)[number];
interface ClaimObject extends KubeObject {}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> => new Promise((resolve, reject) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => {
    clearTimeout(t);
    reject(new CliError('interrupted'));
  }, { once: true });
});

async function getDv(api: KubeApi, ns: string, name: string): Promise<DvObject | undefined> {
  try {
    return await api.get<DvObject>(RESOURCES.dataVolumes, ns, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

function runningMessage(dv: DvObject | undefined): string {
  const c = dv?.status?.conditions?.find((x) => x.type === 'Running');
  return c?.message ? `: ${c.message}` : '';
}

async function waitPhase(api: KubeApi, ns: string, name: string, want: string, ms: number, signal?: AbortSignal): Promise<DvObject> {
  const deadline = Date.now() + ms;
  let dv: DvObject | undefined;
  for (;;) {
    dv = await getDv(api, ns, name);
    const phase = dv?.status?.phase;
    if (phase === want) return dv!;
    if (phase === 'Failed') throw new CliError(`DataVolume ${ns}/${name} failed${runningMessage(dv)}`);
    if (want === 'UploadReady' && phase === 'Succeeded') throw new CliError(`DataVolume ${ns}/${name} is already populated (Succeeded); upload into a new one`);
    if (want === 'UploadReady' && phase === 'WaitForFirstConsumer') throw new CliError(`DataVolume ${ns}/${name} waits for its first consumer (its StorageClass binds on first use); pass --force-bind to let the upload bind it`);
    if (Date.now() > deadline) throw new CliError(`DataVolume ${ns}/${name} is not ${want} after ${Math.round(ms / 1000)} s (phase ${phase ?? 'none'}${runningMessage(dv)})`);
    await sleep(1000, signal);
  }
}

/** POSTs the file to the upload server through the API server's pod proxy, reporting progress. */
async function post(input: Input, ns: string, key: string, io: CliIo): Promise<void> {
  const kc = loadKubeConfig({ ...(input.kubeconfig ? { kubeconfig: input.kubeconfig } : {}), ...(input.context ? { context: input.context } : {}) });
  const server = new URL(kc.getCurrentCluster()!.server);
  const path = `${server.pathname.replace(/\/+$/, '')}/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(`cdi-upload-${input.name}`)}:${UPLOAD_PORT}/proxy/v1beta1/upload`;
  const o: https.RequestOptions = { headers: {} };
  await kc.applyToHTTPSOptions(o);
  const size = statSync(input.imagePath).size;
  const bar = new ProgressBar(size, (s) => io.stderr(s), io.terminal?.output !== undefined && (io.terminal.output as { isTTY?: boolean }).isTTY === true);
  const mod = server.protocol === 'http:' ? http : https;
  await new Promise<void>((resolve, reject) => {
    const req = mod.request(new URL(server.origin + path), {
      ...o,
      method: 'POST',
      headers: { ...o.headers, 'Content-Type': 'application/octet-stream', 'Content-Length': String(size), [UPLOAD_KEY_HEADER]: key, 'User-Agent': 'virtctl' },
      ...(io.signal ? { signal: io.signal } : {}),
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 300) return resolve();
        let msg = text.trim();
        try {
          msg = (JSON.parse(text) as { message?: string }).message ?? msg;
        } catch {
          // plain text from the upload server
        }
        reject(new CliError(code === 403 ? `not allowed to upload: ${msg} (the upload needs create on pods/proxy in ${ns})` : `the upload failed (HTTP ${code}): ${msg}`));
      });
    });
    req.on('error', (e) => reject(new CliError(`the upload broke off: ${e.message}`)));
    let sent = 0;
    const file = createReadStream(input.imagePath, { highWaterMark: 1024 * 1024 });
    file.on('data', (c) => {
      sent += c.length;
      bar.update(sent);
    });
    file.on('end', () => bar.update(sent, true));
    file.on('error', (e) => req.destroy(e));
    file.pipe(req);
  });
}

async function run(cluster: Cluster, input: Input, io: CliIo): Promise<number> {
  const ns = cluster.namespace;
  const api = cluster.api;
  let dv = await getDv(api, ns, input.name);
  if (dv && !dv.spec.source?.upload) throw new CliError(`DataVolume ${ns}/${input.name} exists with another source (${Object.keys(dv.spec.source ?? {})[0] ?? 'none'}); upload needs spec.source.upload`);
  if (!dv) {
    if (input.noCreate) throw new CliError(`DataVolume ${ns}/${input.name} does not exist (drop --no-create to create it)`);
    if (!input.size) throw usageError('--size is required to create the DataVolume (e.g. --size 1Gi)');
    const obj: DataVolume = {
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataVolume',
      metadata: { name: input.name, namespace: ns, ...(input.forceBind ? { annotations: { [IMMEDIATE_BINDING]: 'true' } } : {}) },
      spec: {
        source: { upload: {} },
        storage: {
          resources: { requests: { storage: input.size } },
          ...(input.storageClass ? { storageClassName: input.storageClass } : {}),
          ...(input.accessMode ? { accessModes: [input.accessMode] } : {}),
        },
      },
    };
    dv = await api.create<DvObject>(RESOURCES.dataVolumes, obj);
    io.stdout(`DataVolume ${ns}/${input.name} created\n`);
  }
  io.stdout(`Waiting for DataVolume ${ns}/${input.name} to be UploadReady\n`);
  await waitPhase(api, ns, input.name, 'UploadReady', input.waitMs, io.signal);
  const claim = await api.get<ClaimObject>(RESOURCES.persistentVolumeClaims, ns, input.name);
  const key = claim.metadata.annotations?.[UPLOAD_KEY_ANNOTATION];
  if (!key) throw new CliError(`the claim ${ns}/${input.name} carries no upload key: is the DataVolume controller virtstack's?`);
  io.stdout(`Uploading ${input.imagePath} to DataVolume ${ns}/${input.name}\n`);
  await post(input, ns, key, io);
  io.stdout('Uploading data completed successfully, waiting for processing to complete\n');
  await waitPhase(api, ns, input.name, 'Succeeded', input.waitMs, io.signal);
  io.stdout(`Uploading ${input.imagePath} completed successfully\n`);
  return EXIT_OK;
}

export const imageUploadCommand: CliCommand = {
  name: 'image-upload',
  summary: 'Upload a disk image into a DataVolume (with a progress bar)',
  run: (args, io) => runClusterCommand<Input>({
    name: 'image-upload',
    usage: USAGE,
    options: {
      'image-path': { type: 'string' },
      size: { type: 'string' },
      'storage-class': { type: 'string' },
      'access-mode': { type: 'string' },
      'force-bind': { type: 'boolean' },
      'no-create': { type: 'boolean' },
      'wait-secs': { type: 'string' },
      'uploadproxy-url': { type: 'string' },
      insecure: { type: 'boolean' },
    },
    parse(values, positionals) {
      const s = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
      if (positionals[0] === 'pvc') throw usageError('uploading into a bare PVC is not supported; use "dv NAME"');
      if (positionals[0] !== 'dv' || !positionals[1] || positionals.length > 2) throw usageError('expected "dv NAME"');
      if (s('uploadproxy-url') !== undefined || values.insecure) throw usageError('--uploadproxy-url and --insecure do not apply: virtstack uploads through the API server with your kubeconfig\'s credentials');
      const imagePath = s('image-path');
      if (!imagePath) throw usageError('--image-path is required');
      if (!existsSync(imagePath) || !statSync(imagePath).isFile()) throw usageError(`--image-path: ${imagePath} is not a readable file`);
      const size = s('size');
      if (size !== undefined && !(parseQuantity(size) !== undefined && parseQuantity(size)! > 0)) throw usageError(`--size: "${size}" is not a size (e.g. 1Gi)`);
      const wait = Number(s('wait-secs') ?? '300');
      if (!Number.isInteger(wait) || wait <= 0) throw usageError(`--wait-secs: "${s('wait-secs')}" is not a positive number of seconds`);
      const kubeconfig = s('kubeconfig');
      const context = s('context');
      const storageClass = s('storage-class');
      const accessMode = s('access-mode');
      if (accessMode !== undefined && !(ACCESS_MODES as readonly string[]).includes(accessMode)) throw usageError(`--access-mode: "${accessMode}" is not one of ${ACCESS_MODES.join(', ')}`);
      return {
        name: positionals[1], imagePath, forceBind: values['force-bind'] === true, noCreate: values['no-create'] === true, waitMs: wait * 1000,
        ...(size ? { size } : {}), ...(storageClass ? { storageClass } : {}), ...(accessMode ? { accessMode: accessMode as AccessMode } : {}),
        ...(kubeconfig ? { kubeconfig } : {}), ...(context ? { context } : {}),
      };
    },
    run,
  }, args, io),
};
