// The WebSocket subprotocol of upstream's console and VNC streams: each binary frame carries raw bytes of
// the stream, in both directions, nothing else (no channel byte, unlike Kubernetes' exec protocols).
export const PLAIN_SUBPROTOCOL = 'plain.kubevirt.io';
