// Front-proxy authentication, as every aggregated API server does it: the kube-apiserver authenticates the
// user, then calls us with its front-proxy client certificate and the user in request headers. We trust
// those headers only when the certificate chains to the request-header CA and its CN is an allowed name,
// both published in ConfigMap kube-system/extension-apiserver-authentication.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { ClientCertError, parsePemBundle, presentedChain, verifyClientChain } from './client-cert.js';
import { unauthorized, type StatusError } from './status.js';

export const AUTH_CONFIGMAP = { namespace: 'kube-system', name: 'extension-apiserver-authentication' } as const;

export interface RequestHeaderConfig {
  clientCas: X509Certificate[];
  /** CNs the front proxy's certificate may carry; empty means any certificate the CA signed. */
  allowedNames: string[];
  usernameHeaders: string[];
  uidHeaders: string[];
  groupHeaders: string[];
  extraHeaderPrefixes: string[];
}

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
}

export class RequestHeaderConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`ConfigMap ${AUTH_CONFIGMAP.namespace}/${AUTH_CONFIGMAP.name} ${key}: ${message}`);
    this.name = 'RequestHeaderConfigError';
  }
}

function stringList(data: Record<string, string>, key: string): string[] {
  const raw = data[key];
  if (raw === undefined || raw === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new RequestHeaderConfigError(key, `not a JSON list of strings (${(e as Error).message})`);
  }
  if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === 'string')) throw new RequestHeaderConfigError(key, 'not a JSON list of strings');
  return parsed as string[];
}

/** The request-header part of the ConfigMap's data; throws RequestHeaderConfigError when it is unusable. */
export function parseRequestHeaderConfig(data: Record<string, string> | undefined): RequestHeaderConfig {
  const d = data ?? {};
  const caPem = d['requestheader-client-ca-file'];
  if (!caPem) throw new RequestHeaderConfigError('requestheader-client-ca-file', 'missing: the kube-apiserver runs without --requestheader-client-ca-file, so it cannot proxy to aggregated APIs');
  let clientCas: X509Certificate[];
  try {
    clientCas = parsePemBundle(caPem);
  } catch (e) {
    throw new RequestHeaderConfigError('requestheader-client-ca-file', `does not parse as PEM certificates (${(e as Error).message})`);
  }
  if (clientCas.length === 0) throw new RequestHeaderConfigError('requestheader-client-ca-file', 'holds no certificate');
  const usernameHeaders = stringList(d, 'requestheader-username-headers');
  if (usernameHeaders.length === 0) throw new RequestHeaderConfigError('requestheader-username-headers', 'missing: no header names the user');
  return {
    clientCas,
    allowedNames: stringList(d, 'requestheader-allowed-names'),
    usernameHeaders,
    uidHeaders: stringList(d, 'requestheader-uid-headers'),
    groupHeaders: stringList(d, 'requestheader-group-headers'),
    extraHeaderPrefixes: stringList(d, 'requestheader-extra-headers-prefix'),
  };
}

type Headers = Record<string, string[] | undefined>;

function values(headers: Headers, names: readonly string[]): string[] {
  return names.flatMap((n) => headers[n.toLowerCase()] ?? []);
}

function unescapeExtraKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key; // kept as sent, as the kube-apiserver does with a malformed escape
  }
}

/** The user the front proxy names in `headers` (lower-case names, one entry per header line). */
export function userFromHeaders(cfg: RequestHeaderConfig, headers: Headers): UserInfo | undefined {
  const username = values(headers, cfg.usernameHeaders).find((v) => v.length > 0);
  if (!username) return undefined;
  const uid = values(headers, cfg.uidHeaders).find((v) => v.length > 0);
  const extra: Record<string, string[]> = {};
  for (const prefix of cfg.extraHeaderPrefixes.map((p) => p.toLowerCase())) {
    for (const [name, vals] of Object.entries(headers)) {
      if (!name.startsWith(prefix) || name.length === prefix.length || !vals) continue;
      const key = unescapeExtraKey(name.slice(prefix.length));
      (extra[key] ??= []).push(...vals);
    }
  }
  return { username, ...(uid ? { uid } : {}), groups: values(headers, cfg.groupHeaders), extra };
}

export type AuthnResult = { user: UserInfo } | { error: StatusError; why: string };

/**
 * Authenticates one request: a front-proxy certificate from an allowed name, then the user from the
 * headers. Anything else is 401; `why` is for the log (the client only learns that it is unauthorized).
 */
export function authenticate(cfg: RequestHeaderConfig | undefined, req: IncomingMessage, now: Date = new Date()): AuthnResult {
  const fail = (why: string): AuthnResult => ({ error: unauthorized('Unauthorized'), why });
  if (!cfg) return fail(`ConfigMap ${AUTH_CONFIGMAP.namespace}/${AUTH_CONFIGMAP.name} not read yet`);
  const socket = req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return fail('not a TLS connection');
  let cn: string;
  try {
    cn = verifyClientChain(presentedChain(socket.getPeerCertificate(true)), cfg.clientCas, now);
  } catch (e) {
    if (e instanceof ClientCertError) return fail(e.message);
    throw e;
  }
  if (cfg.allowedNames.length > 0 && !cfg.allowedNames.includes(cn)) return fail(`client certificate CN "${cn}" is not one of the allowed names ${JSON.stringify(cfg.allowedNames)}`);
  const user = userFromHeaders(cfg, req.headersDistinct);
  if (!user) return fail(`no user in the headers ${JSON.stringify(cfg.usernameHeaders)}`);
  return { user };
}
