// Who is calling: the common name of the client certificate the TLS handshake already verified against the
// stack's CA (the server rejects unverified chains), checked against the names of contract §2.
import type { TLSSocket } from 'node:tls';
import { API_CLIENT_CN, HANDLER_CN } from '../../certs/stack-certificates.js';

/** The peers the handler's endpoint ever accepts: the api, and other handlers (issue 12's migrations). */
export const ENDPOINT_PEERS: readonly string[] = [API_CLIENT_CN, HANDLER_CN];

/** The verified client's common name, or undefined when the connection carries no verified certificate. */
export function verifiedPeer(socket: TLSSocket): string | undefined {
  if (!socket.authorized) return undefined;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  // A certificate may carry several CNs (an array): none of ours does, so such a peer is nobody.
  return typeof cn === 'string' && cn !== '' ? cn : undefined;
}
