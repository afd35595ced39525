// The Pulumi program of `npm run bench -- pulumi`: N VirtualMachine components in an existing namespace.
// Stack config: virtstack:namespace, virtstack:fleetSize, virtstack:guestImage (all set by the bench).
import * as pulumi from '@pulumi/pulumi';
import { VirtualMachine } from '../../../components/index.js';
import { memberArgs, memberName, type FleetConfig } from './fleet.js';

const config = new pulumi.Config('virtstack');
const fleet: FleetConfig = { namespace: config.require('namespace'), size: config.requireNumber('fleetSize'), image: config.require('guestImage') };

const vms = Array.from({ length: fleet.size }, (_, i) => new VirtualMachine(memberName(i), memberArgs(fleet, i)));

export const ready = pulumi.all(vms.map((v) => v.ready));
