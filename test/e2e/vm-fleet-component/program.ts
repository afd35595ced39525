// The e2e program of test/e2e/vm-fleet-component.test.ts: a VirtualMachineFleet of the test guest in its own
// namespace; config `revision` changes the guest's cloud-init (a template change the fleet must roll).
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { VirtualMachineFleet } from '../../../components/index.js';
import { fleetTemplate } from './template.js';

const config = new pulumi.Config('virtstack');
const namespace = config.require('namespace');
const replicas = config.requireNumber('replicas');
const revision = config.get('revision') ?? '1';

const ns = new k8s.core.v1.Namespace('ns', { metadata: { name: namespace } });
const fleet = new VirtualMachineFleet('fleet', {
  namespace,
  replicas,
  rollingUpdate: { maxUnavailable: config.get('maxUnavailable') ?? '1', maxSurge: config.get('maxSurge') ?? '1' },
  readyTimeoutSeconds: 900,
  template: fleetTemplate(revision),
}, { dependsOn: [ns] });

export const members = fleet.members;
export const memberNames = fleet.memberNames;
export const ipAddresses = fleet.ipAddresses;
export const readyReplicas = fleet.readyReplicas;
