// virt/websocket: the plain.kubevirt.io byte streams (console, VNC) as the handler, the api and virtctl carry them.
export { PLAIN_SUBPROTOCOL } from './subprotocol.js';
export { bridgeWebSocket, CLOSE_INTERNAL, CLOSE_NORMAL, type BridgeOptions } from './bridge.js';
