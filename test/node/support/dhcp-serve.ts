// Runs the launcher's DHCP server on its own, for the node test that asks it for a lease with a real
// client (busybox udhcpc): `node dhcp-serve.js '<LeaseConfig as JSON>'`. Prints "ready" once listening and
// serves until SIGTERM.
import { DhcpServer } from '../../../virt/launcher/dhcp/server.js';
import type { LeaseConfig } from '../../../virt/launcher/dhcp/responder.js';
import { jsonLogger } from '../../../virt/logger/logger.js';

const cfg = JSON.parse(process.argv[2] ?? '') as LeaseConfig;
const server = new DhcpServer(cfg, jsonLogger({ component: 'dhcp-serve' }));
await server.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
