// The handler's mutual-TLS endpoint: the server, its routing, and the VMI routes.
export { NodeEndpoint, HANDLER_ENDPOINT_PORT, type NodeEndpointOptions, type TlsSource } from './node-endpoint.js';
export { vmiRoutes, type NodeVmis, type LauncherSession } from './vmi-routes.js';
export { Router, type Route, type RequestRoute, type UpgradeRoute, type RouteContext } from './router.js';
export { EndpointError } from './errors.js';
export { ENDPOINT_PEERS, verifiedPeer } from './peer.js';
