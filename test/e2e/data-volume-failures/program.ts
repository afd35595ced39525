// Two DataVolumes that cannot succeed, for the e2e test of the DataVolume component's errors: one whose
// URL answers 404 (the importer retries; `pulumi up` fails at timeoutSeconds with the importer's message)
// and one whose image is larger than its claim (CDI's Failed at once, both sizes named). Stack config:
//   virtstack:namespace, virtstack:missingUrl, virtstack:imageUrl, virtstack:timeoutSeconds
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { DataVolume } from '../../../components/index.js';

const config = new pulumi.Config('virtstack');
const ns = new k8s.core.v1.Namespace('ns', { metadata: { name: config.require('namespace') } });

export const missing = new DataVolume('missing', {
  namespace: ns.metadata.name,
  source: { http: { url: config.require('missingUrl') } },
  storage: { resources: { requests: { storage: '64Mi' } } },
  timeoutSeconds: config.requireNumber('timeoutSeconds'),
}).phase;

export const tooSmall = new DataVolume('too-small', {
  namespace: ns.metadata.name,
  source: { http: { url: config.require('imageUrl') } },
  storage: { resources: { requests: { storage: '16Mi' } } },
  timeoutSeconds: config.requireNumber('timeoutSeconds'),
}).phase;
