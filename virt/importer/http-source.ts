// Opens the HTTP(S) source of an import: follows redirects (at most 10, as Go's client that CDI uses), sends
// basic-auth credentials only to the origin they were given for, trusts the system's CAs plus a
// certConfigMap's, and adds extraHeaders to every request. Errors say which URL answered what.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { ImportError } from './import-error.js';

export interface HttpSourceOptions {
  url: string;
  /** Extra CA certificates (PEM) trusted beside the system's. */
  ca?: readonly string[];
  basicAuth?: { user: string; password: string };
  /** "Name: value" strings. */
  extraHeaders?: readonly string[];
  signal?: AbortSignal;
  maxRedirects?: number;
  /** Give up on a connection or response that stays silent this long. @default 60000 */
  idleTimeoutMs?: number;
}

export interface HttpSource {
  body: IncomingMessage;
  /** Content-Length when the server sent one. */
  length: number | undefined;
  /** The URL that answered (after redirects). */
  url: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Node's TLS error codes that mean "the certificate is not trusted or not valid". */
const CERT_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS/;

export function parseHeaders(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i <= 0) throw new ImportError('config', `extraHeaders: "${line}" is not "Name: value"`, { fatal: true });
    out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

function redact(url: URL): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}

function once(url: URL, o: HttpSourceOptions, withAuth: boolean): Promise<IncomingMessage> {
  const headers: Record<string, string> = { 'user-agent': 'virtstack-importer', ...parseHeaders(o.extraHeaders ?? []) };
  if (withAuth && o.basicAuth) headers.authorization = `Basic ${Buffer.from(`${o.basicAuth.user}:${o.basicAuth.password}`).toString('base64')}`;
  const https = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(
      url,
      {
        method: 'GET',
        headers,
        ...(https ? { ca: [...rootCertificates, ...(o.ca ?? [])] } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
        timeout: o.idleTimeoutMs ?? 60_000,
      },
      resolve,
    );
    req.on('timeout', () => req.destroy(new ImportError('network', `${redact(url)}: no answer for ${Math.round((o.idleTimeoutMs ?? 60_000) / 1000)} s`)));
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e instanceof ImportError) return reject(e);
      if (e.name === 'AbortError') return reject(e);
      if (https && e.code && CERT_CODES.test(e.code)) {
        return reject(new ImportError('tls', `TLS: the certificate of ${url.host} is not trusted (${e.code}: ${e.message}); put its CA in a ConfigMap and name it in spec.source.http.certConfigMap`, { cause: e }));
      }
      reject(new ImportError('network', `GET ${redact(url)}: ${e.code ?? e.name}: ${e.message}`, { cause: e }));
    });
    req.end();
  });
}

/** GET `o.url`, following redirects; resolves with the body of the first non-redirect 2xx answer. */
export async function openHttp(o: HttpSourceOptions): Promise<HttpSource> {
  let url: URL;
  try {
    url = new URL(o.url);
  } catch (e) {
    throw new ImportError('config', `spec.source.http.url: "${o.url}" is not a URL`, { cause: e, fatal: true });
  }
  const origin = url.origin;
  const max = o.maxRedirects ?? 10;
  for (let hop = 0; ; hop++) {
    const res = await once(url, o, url.origin === origin);
    const code = res.statusCode ?? 0;
    if (REDIRECTS.has(code)) {
      res.resume();
      const location = res.headers.location;
      if (!location) throw new ImportError('http', `HTTP ${code} from ${redact(url)} without a Location header`);
      if (hop >= max) throw new ImportError('http', `more than ${max} redirects, the last to ${location}`);
      url = new URL(location, url);
      continue;
    }
    if (code < 200 || code > 299) {
      res.resume();
      throw new ImportError('http', `HTTP ${code} ${res.statusMessage ?? ''}`.trim() + ` from ${redact(url)}` + (code === 401 || code === 403 ? ` (check the credentials in spec.source.http.secretRef${o.extraHeaders?.length ? ', extraHeaders and secretExtraHeaders' : ''})` : ''));
    }
    const len = res.headers['content-length'];
    const length = len !== undefined && /^\d+$/.test(len) ? Number(len) : undefined;
    return { body: res, length, url: redact(url) };
  }
}
