// The registry source: a containerDisk image pulled with the registry HTTP API (the OCI distribution
// spec): its manifest (an index or list resolved to linux/amd64), then its layers from the top down, each
// streamed through gunzip and a tar reader until a file under disk/ turns up — that file is the disk
// image (CDI's rule). Bearer token and basic auth, the system's CAs plus a certConfigMap's.
import { openHttp, type HttpSourceOptions } from './http-source.js';
import { decompress, peek, type ByteStream } from './byte-stream.js';
import { compressionOf } from './image-format.js';
import { ImportError } from './import-error.js';
import { readTar } from './tar-reader.js';

export interface ImageReference {
  registry: string;
  repository: string;
  reference: string;
}

/** docker://host[:port]/repo[:tag|@digest] (a host is required: there is no default registry here). */
export function parseImageUrl(url: string): ImageReference {
  const m = /^docker:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!m || !/[.:]|^localhost$/.test(m[1]!)) throw new ImportError('config', `spec.source.registry.url: "${url}" is not docker://HOST[:PORT]/REPOSITORY[:TAG]`, { fatal: true });
  let repo = m[2]!;
  let reference = 'latest';
  const at = repo.indexOf('@');
  if (at >= 0) {
    reference = repo.slice(at + 1);
    repo = repo.slice(0, at);
  } else {
    const colon = repo.lastIndexOf(':');
    if (colon > repo.lastIndexOf('/')) {
      reference = repo.slice(colon + 1);
      repo = repo.slice(0, colon);
    }
  }
  return { registry: m[1]!, repository: repo, reference };
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { os?: string; architecture?: string };
}

interface Manifest {
  mediaType?: string;
  manifests?: Descriptor[];
  layers?: Descriptor[];
}

export interface RegistryOptions {
  url: string;
  ca?: readonly string[];
  basicAuth?: { user: string; password: string };
  signal?: AbortSignal;
  /** Bytes of layer data read, as they come. */
  onBytes?: (n: number, total: number) => void;
}

async function readAll(src: ByteStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of src) parts.push(c);
  return Buffer.concat(parts);
}

class RegistryClient {
  private token: string | undefined;
  private readonly base: string;

  constructor(private readonly ref: ImageReference, private readonly o: RegistryOptions) {
    this.base = `https://${ref.registry}/v2/${ref.repository}`;
  }

  private async get(path: string, accept?: string): Promise<Awaited<ReturnType<typeof openHttp>>> {
    const headers = [...(accept ? [`Accept: ${accept}`] : []), ...(this.token ? [`Authorization: Bearer ${this.token}`] : [])];
    const opts: HttpSourceOptions = { url: `${this.base}${path}`, extraHeaders: headers, ...(this.o.ca ? { ca: this.o.ca } : {}), ...(this.o.signal ? { signal: this.o.signal } : {}) };
    try {
      return await openHttp(this.token || !this.o.basicAuth ? opts : { ...opts, basicAuth: this.o.basicAuth });
    } catch (e) {
      if (!(e instanceof ImportError) || !/^HTTP 401/.test(e.message) || this.token) throw e;
      await this.authenticate(e);
      return this.get(path, accept);
    }
  }

  /** A 401 from the registry: fetch a bearer token from the realm it names (with the credentials, if any). */
  private async authenticate(cause: ImportError): Promise<void> {
    const challenge = await this.challenge();
    if (!challenge) throw cause;
    const u = new URL(challenge.realm);
    if (challenge.service) u.searchParams.set('service', challenge.service);
    u.searchParams.set('scope', `repository:${this.ref.repository}:pull`);
    const res = await openHttp({ url: u.toString(), ...(this.o.basicAuth ? { basicAuth: this.o.basicAuth } : {}), ...(this.o.ca ? { ca: this.o.ca } : {}) });
    const body = JSON.parse((await readAll(res.body as AsyncIterable<Buffer>)).toString('utf8')) as { token?: string; access_token?: string };
    this.token = body.token ?? body.access_token;
    if (!this.token) throw new ImportError('http', `the registry's token service ${u.origin} answered without a token`);
  }

  private challenge(): Promise<{ realm: string; service?: string } | undefined> {
    return new Promise((resolve) => {
      // One plain request to read the WWW-Authenticate header (openHttp reports only the status).
      import('node:https').then(({ request }) => {
        const req = request(`${this.base}/manifests/${this.ref.reference}`, { method: 'GET', ...(this.o.ca ? { ca: [...this.o.ca] } : {}) }, (res) => {
          res.resume();
          const h = String(res.headers['www-authenticate'] ?? '');
          const realm = /realm="([^"]+)"/.exec(h)?.[1];
          const service = /service="([^"]+)"/.exec(h)?.[1];
          resolve(/^Bearer /i.test(h) && realm ? { realm, ...(service ? { service } : {}) } : undefined);
        });
        req.on('error', () => resolve(undefined));
        req.end();
      }, () => resolve(undefined));
    });
  }

  async manifest(reference: string): Promise<Manifest> {
    const res = await this.get(`/manifests/${reference}`, MANIFEST_TYPES.join(', '));
    const m = JSON.parse((await readAll(res.body as AsyncIterable<Buffer>)).toString('utf8')) as Manifest;
    if (m.manifests) {
      const pick = m.manifests.find((d) => d.platform?.os === 'linux' && d.platform.architecture === 'amd64') ?? (m.manifests.length === 1 ? m.manifests[0] : undefined);
      if (!pick) throw new ImportError('format', `image ${this.ref.repository}:${this.ref.reference} has no linux/amd64 manifest`, { fatal: true });
      return this.manifest(pick.digest);
    }
    if (!m.layers) throw new ImportError('format', `the registry answered ${this.ref.repository}:${reference} with a manifest without layers`, { fatal: true });
    return m;
  }

  async blob(digest: string): Promise<ByteStream> {
    return (await this.get(`/blobs/${digest}`)).body as AsyncIterable<Buffer>;
  }
}

/**
 * Streams the disk file (the first regular file under disk/, searching the layers from the top) to
 * `sink`; resolves with its size. Throws when no layer holds one.
 */
export async function pullDisk(o: RegistryOptions, sink: (data: ByteStream, path: string) => Promise<void>): Promise<{ path: string; size: number }> {
  const ref = parseImageUrl(o.url);
  const client = new RegistryClient(ref, o);
  const m = await client.manifest(ref.reference);
  const layers = [...(m.layers ?? [])].reverse();
  const total = layers.reduce((a, l) => a + (l.size ?? 0), 0);
  let read = 0;
  for (const layer of layers) {
    let body = await client.blob(layer.digest);
    const counted = async function* (): AsyncGenerator<Buffer> {
      for await (const c of body) {
        read += c.length;
        o.onBytes?.(read, total);
        yield c;
      }
    };
    const { head, rest } = await peek(counted(), 512);
    body = compressionOf(head) ? decompress(rest, compressionOf(head)!) : rest;
    for await (const e of readTar(body)) {
      if (e.type === 'file' && /^disk\/[^/]+$/.test(e.path)) {
        await sink(e.data, e.path);
        return { path: e.path, size: e.size };
      }
    }
  }
  throw new ImportError('format', `image ${ref.registry}/${ref.repository}:${ref.reference} has no file under /disk/ (a containerDisk keeps its disk image there)`, { fatal: true });
}
