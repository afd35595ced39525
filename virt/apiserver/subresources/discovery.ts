// The discovery documents of subresources.kubevirt.io: the kube-apiserver's aggregator reads the version's
// resource list to mark the APIService Available and to publish the group in its own /apis, and clients
// (kubectl, virtctl) find the group through it.
import { GROUP, GROUP_VERSION, ROUTES, VERSION } from './routes.js';

const versionForDiscovery = { groupVersion: GROUP_VERSION, version: VERSION };

export const apiGroup = () => ({
  kind: 'APIGroup',
  apiVersion: 'v1',
  name: GROUP,
  versions: [versionForDiscovery],
  preferredVersion: versionForDiscovery,
});

export const apiGroupList = () => ({ kind: 'APIGroupList', apiVersion: 'v1', groups: [apiGroup()] });

/**
 * One entry per subresource, named `<parent>/<name>` as upstream lists them; the verb is the one RBAC
 * checks, so a client can tell `virtualmachines/start` (update) from `virtualmachineinstances/console` (get).
 */
export const apiResourceList = () => ({
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: GROUP_VERSION,
  resources: ROUTES.map((r) => ({ name: `${r.parent}/${r.name}`, singularName: '', namespaced: true, kind: '', verbs: [r.verb] })),
});

