// A real HTTP server in the test process that pods reach at the host's address on the cluster network
// (HOST_IP: the nodes' default route), serving disk images for DataVolume imports: throttled (so progress
// can be seen moving), cut off mid-stream a given number of times (an interrupted download), or missing.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { HOST_IP } from './paths.js';

export interface ServedImage {
  body: Buffer;
  /** Bytes per second (whole body at once when absent). */
  rate?: number;
  /** The first `cuts` requests get this many bytes, then the connection is destroyed. */
  cutAfter?: number;
  cuts?: number;
  /** Require these basic-auth credentials. */
  auth?: { user: string; password: string };
  /** Require these request headers (lower-case names) with exactly these values; 403 otherwise. */
  headers?: Record<string, string>;
}

export class ImageServer {
  private readonly routes = new Map<string, ServedImage>();
  private readonly redirects = new Map<string, string>();
  private server: Server | undefined;
  private port = 0;
  /** Requests seen per path. */
  readonly hits = new Map<string, number>();

  /** With `tls`, the server speaks https with that certificate (files, PEM). */
  constructor(private readonly tls?: { certFile: string; keyFile: string }) {}

  serve(path: string, image: ServedImage): string {
    this.routes.set(path, image);
    return this.url(path);
  }

  redirect(from: string, to: string): string {
    this.redirects.set(from, to);
    return this.url(from);
  }

  url(path: string): string {
    return `${this.tls ? 'https' : 'http'}://${HOST_IP}:${this.port}${path}`;
  }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.handle(req, res);
    const server: Server = this.tls ? createTlsServer({ cert: readFileSync(this.tls.certFile), key: readFileSync(this.tls.keyFile) }, handler) : createServer(handler);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // The host's address on the node bridge: reachable from every pod, not from outside this machine.
      server.listen(0, HOST_IP, () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
  }

  stop(): Promise<void> {
    const s = this.server;
    if (!s) return Promise.resolve();
    s.closeAllConnections();
    return new Promise((resolve) => s.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0]!;
    const n = (this.hits.get(path) ?? 0) + 1;
    this.hits.set(path, n);
    const to = this.redirects.get(path);
    if (to) return void res.writeHead(302, { location: to }).end();
    const img = this.routes.get(path);
    if (!img) return void res.writeHead(404, 'Not Found').end('no such image');
    if (img.auth && req.headers.authorization !== `Basic ${Buffer.from(`${img.auth.user}:${img.auth.password}`).toString('base64')}`) {
      return void res.writeHead(401, 'Unauthorized', { 'www-authenticate': 'Basic realm="images"' }).end();
    }
    const missing = Object.entries(img.headers ?? {}).filter(([k, v]) => req.headers[k] !== v).map(([k]) => k);
    if (missing.length) return void res.writeHead(403, 'Forbidden').end(`missing or wrong headers: ${missing.join(', ')}`);
    res.writeHead(200, { 'content-length': String(img.body.length), 'content-type': 'application/octet-stream' });
    const cut = img.cutAfter !== undefined && n <= (img.cuts ?? 0) ? img.cutAfter : undefined;
    const end = cut ?? img.body.length;
    const chunk = img.rate ? Math.max(16 * 1024, Math.floor(img.rate / 10)) : end;
    for (let off = 0; off < end; off += chunk) {
      const piece = img.body.subarray(off, Math.min(end, off + chunk));
      const ok = res.write(piece);
      if (!ok) await new Promise((r) => res.once('drain', r));
      if (img.rate) await new Promise((r) => setTimeout(r, (piece.length / img.rate!) * 1000));
      if (res.destroyed) return;
    }
    if (cut !== undefined) {
      res.destroy();
      return;
    }
    res.end();
  }
}
