// The relay's mutual TLS between two handlers: both sides present the handler certificate (virt-handler-certs,
// serverAuth + clientAuth, CN virt-handler) and both check the other's: the chain to the stack CA in the
// handshake, then the common name. The certificate carries no IP address (handler pods move), so the client
// checks the CN instead of the address it dialled.
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { TlsMaterial } from '../../certs/tls-material.js';
import { HANDLER_CN } from '../../certs/stack-certificates.js';

export interface MutualTlsContext {
  cert: string;
  key: string;
  ca: string;
}

export function contextOf(m: TlsMaterial): MutualTlsContext {
  return { cert: m.cert, key: m.key, ca: m.ca };
}

/** The server side: a client without a certificate of the stack CA never completes the handshake. */
export function serverOptions(m: TlsMaterial) {
  return { ...contextOf(m), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' as const };
}

/** The client side: the server's chain must lead to the stack CA and its CN must be the handler's. */
export function clientOptions(m: TlsMaterial) {
  return {
    ...contextOf(m),
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2' as const,
    checkServerIdentity: (_host: string, cert: PeerCertificate): Error | undefined => {
      const cn = cert.subject?.CN;
      return cn === HANDLER_CN ? undefined : new Error(`the migration peer presents CN "${String(cn)}", not ${HANDLER_CN}`);
    },
  };
}

/** Whether the verified client of a server-side socket is a handler (the chain was checked by the handshake). */
export function isHandlerPeer(socket: TLSSocket): boolean {
  if (!socket.authorized) return false;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  return cn === HANDLER_CN;
}
