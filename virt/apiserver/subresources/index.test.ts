// The subresource API end to end on local HTTPS servers: a client in the front proxy's place, the module
// mounted on a server configured as the api's (client certificates requested, none required), an in-memory
// Kubernetes API, and a stand-in handler that demands the stack's mutual TLS.
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { WebSocket, WebSocketServer, type ClientOptions } from 'ws';
import type { VirtualMachine } from '../../api/index.js';
import { RESOURCES } from '../../kube/resources.js';
import { captureLogger, MemoryApi, pollUntil } from '../../kube/testing/index.js';
import type { Authorizer, ResourceAttributes } from './authorization.js';
import type { UserInfo } from './front-proxy.js';
import { watchRequestHeaderConfig } from './front-proxy-config.js';
import { mutualTlsHandlerClient, podHandlerLocator } from './handler-client.js';
import { createSubresourceApiFrom, type SubresourceApi } from './index.js';
import { inPhase, newVm, newVmi, paused, withRunStrategy, withVmStatus } from './testing/fixtures.js';
import { authConfigMap, localTls, type LocalTls } from './testing/local-tls.js';

const NS = 'ns';
const STACK_NS = 'virtstack';
const BASE = '/apis/subresources.kubevirt.io/v1';

let tls: LocalTls;
let api: MemoryApi;
let sub: SubresourceApi;
let server: https.Server;
let port: number;
let handler: https.Server;
let handlerCert: 'handler' | 'notHandler';
const handlerCalls: { method: string; url: string; peer: string | undefined; protocol?: string }[] = [];
/** The handler side of each stream the stand-in accepted. */
const handlerStreams: WebSocket[] = [];
const decisions: { user: UserInfo; attrs: ResourceAttributes }[] = [];
let allow: (attrs: ResourceAttributes) => boolean;

const authorizer: Authorizer = {
  authorize: async (user, attrs) => {
    decisions.push({ user, attrs });
    return allow(attrs) ? { allowed: true, reason: '' } : { allowed: false, reason: '' };
  },
};

function startHandler(): Promise<number> {
  const cert = () => (handlerCert === 'handler' ? tls.handler : tls.notHandler);
  handler = https.createServer({ cert: cert().cert, key: cert().key, ca: tls.stackCa.cert, requestCert: true, rejectUnauthorized: true });
  const wss = new WebSocketServer({ noServer: true });
  const peer = (req: IncomingMessage) => (req.socket as TLSSocket).getPeerCertificate().subject?.CN as string | undefined;
  handler.on('request', (req, res) => {
    handlerCalls.push({ method: req.method ?? '', url: req.url ?? '', peer: peer(req) });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  handler.on('upgrade', (req: IncomingMessage, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      handlerCalls.push({ method: 'GET', url: req.url ?? '', peer: peer(req), protocol: ws.protocol });
      handlerStreams.push(ws);
      // The guest's console, as far as this test goes: it answers each line in upper case.
      ws.on('message', (d: Buffer) => ws.send(Buffer.from(d.toString().toUpperCase())));
    });
  });
  return new Promise((resolve) => handler.listen(0, '127.0.0.1', () => resolve((handler.address() as AddressInfo).port)));
}

beforeAll(async () => {
  tls = localTls();
}, 60_000);

beforeEach(async () => {
  handlerCalls.length = 0;
  handlerStreams.length = 0;
  decisions.length = 0;
  allow = () => true;
  handlerCert = 'handler';
  api = new MemoryApi();
  api.seed(RESOURCES.configMaps, authConfigMap(tls.frontProxyCa.cert));
  const handlerPort = await startHandler();
  api.seed(RESOURCES.pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'virt-handler-abcde', namespace: STACK_NS, labels: { 'kubevirt.io': 'virt-handler' } },
    spec: { nodeName: 'node-1' }, status: { phase: 'Running', podIP: '127.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] },
  } as never);
  const { log } = captureLogger('warn');
  const requestHeaderConfig = watchRequestHeaderConfig(api, log);
  await pollUntil(() => requestHeaderConfig.current(), 'the front-proxy ConfigMap to be read');
  sub = createSubresourceApiFrom(
    { api, log, namespace: STACK_NS, handlerClientTls: () => ({ cert: tls.apiClient.cert, key: tls.apiClient.key, ca: tls.stackCa.cert }) },
    {
      requestHeaderConfig,
      authorizer,
      handlers: podHandlerLocator(api, STACK_NS, handlerPort),
      handlerClient: mutualTlsHandlerClient(() => ({ cert: tls.apiClient.cert, key: tls.apiClient.key, ca: tls.stackCa.cert })),
      version: 'test',
    },
  );
  server = https.createServer({ cert: tls.serving.cert, key: tls.serving.key, requestCert: true, rejectUnauthorized: false });
  server.on('request', (req, res) => void sub.request(req, res));
  server.on('upgrade', (req, socket, head) => sub.upgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  await sub.close();
  server.closeAllConnections();
  handler.closeAllConnections();
  await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => handler.close(r))]);
});

type Client = 'proxy' | 'none' | 'other' | 'rogue';

const clientCert = (c: Client) =>
  c === 'none' ? {} : c === 'proxy' ? { cert: tls.frontProxyClient.cert, key: tls.frontProxyClient.key } : c === 'other' ? { cert: tls.otherProxyClient.cert, key: tls.otherProxyClient.key } : { cert: tls.rogueProxyClient.cert, key: tls.rogueProxyClient.key };

const USER_HEADERS = { 'X-Remote-User': 'alice', 'X-Remote-Group': ['devs', 'system:authenticated'], 'X-Remote-Extra-Scopes%2Fa': 'x' };

function call(method: string, path: string, opts: { client?: Client; headers?: Record<string, string | string[]>; body?: string } = {}): Promise<{ code: number; body: string; json: () => Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, method, path, ca: tls.servingCa.cert, servername: 'localhost', ...clientCert(opts.client ?? 'proxy'), headers: opts.headers ?? USER_HEADERS, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body, json: () => JSON.parse(body) as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const vmPath = (name: string, sub: string) => `${BASE}/namespaces/${NS}/virtualmachines/${name}/${sub}`;
const vmiPath = (name: string, sub: string) => `${BASE}/namespaces/${NS}/virtualmachineinstances/${name}/${sub}`;
/** Replaces a stored object as a write by someone else would. */
function reseed(res: typeof RESOURCES.virtualMachines, obj: object): void {
  const o = obj as { metadata: { namespace?: string; name?: string } };
  void api.delete(res, o.metadata.namespace, o.metadata.name ?? '').catch(() => undefined);
  api.seed(res, obj as never);
}
const storedVm = () => api.all<VirtualMachine>(RESOURCES.virtualMachines)[0]!;

describe('discovery', () => {
  test('group list, group and resource list answer without a client certificate', async () => {
    const groups = (await call('GET', '/apis', { client: 'none', headers: {} })).json();
    expect(groups).toMatchObject({ kind: 'APIGroupList', groups: [{ name: 'subresources.kubevirt.io', preferredVersion: { groupVersion: 'subresources.kubevirt.io/v1' } }] });
    expect((await call('GET', '/apis/subresources.kubevirt.io', { client: 'none', headers: {} })).json()).toMatchObject({ kind: 'APIGroup', versions: [{ version: 'v1' }] });
    const list = (await call('GET', BASE, { client: 'none', headers: {} })).json();
    expect(list).toMatchObject({ kind: 'APIResourceList', groupVersion: 'subresources.kubevirt.io/v1' });
    expect((list.resources as { name: string; verbs: string[] }[]).map((r) => `${r.name}:${r.verbs.join(',')}`)).toEqual([
      'virtualmachines/start:update', 'virtualmachines/stop:update', 'virtualmachines/restart:update',
      'virtualmachineinstances/pause:update', 'virtualmachineinstances/unpause:update',
      'virtualmachineinstances/console:get', 'virtualmachineinstances/vnc:get',
    ]);
  });

  test('OpenAPI v2, the v3 discovery and the v3 document it points to', async () => {
    const v2 = (await call('GET', '/openapi/v2', { client: 'none', headers: {} })).json();
    expect(Object.keys(v2.paths as object)).toContain(`${BASE}/namespaces/{namespace}/virtualmachines/{name}/start`);
    const v3 = (await call('GET', '/openapi/v3', { client: 'none', headers: {} })).json() as { paths: Record<string, { serverRelativeURL: string }> };
    const url = v3.paths['apis/subresources.kubevirt.io/v1']!.serverRelativeURL;
    expect(url).toMatch(/^\/openapi\/v3\/apis\/subresources\.kubevirt\.io\/v1\?hash=[0-9A-F]{128}$/);
    const doc = (await call('GET', url, { client: 'none', headers: {} })).json();
    expect(doc).toMatchObject({ openapi: '3.0.0' });
    expect(Object.keys(doc.paths as object)).toHaveLength(7);
  });

  test('an unknown path is a 404 Status; a wrong method a 405', async () => {
    const r = await call('GET', `${BASE}/namespaces/${NS}/virtualmachines/x/migrate`);
    expect(r.code).toBe(404);
    expect(r.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    expect((await call('POST', vmPath('x', 'start'))).json()).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed', code: 405 });
  });
});

describe('authentication', () => {
  beforeEach(() => void api.seed(RESOURCES.virtualMachines, newVm(withRunStrategy('Halted'))));

  test.each<[string, Client, Record<string, string | string[]>]>([
    ['no client certificate', 'none', USER_HEADERS],
    ['a certificate from another CA with the allowed CN', 'rogue', USER_HEADERS],
    ['a front-proxy-CA certificate with a CN not allowed', 'other', USER_HEADERS],
    ['the front proxy but no user header', 'proxy', { 'X-Remote-Group': 'devs' }],
  ])('%s: 401 Status, nothing authorized or changed', async (_what, client, headers) => {
    const r = await call('PUT', vmPath('testvm', 'start'), { client, headers });
    expect(r.code).toBe(401);
    expect(r.json()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    expect(decisions).toHaveLength(0);
    expect(storedVm().spec.runStrategy).toBe('Halted');
  });

  test('the user, every group and the extras reach the SubjectAccessReview', async () => {
    expect((await call('PUT', vmPath('testvm', 'start'))).code).toBe(202);
    expect(decisions).toEqual([
      {
        user: { username: 'alice', groups: ['devs', 'system:authenticated'], extra: { 'scopes/a': ['x'] } },
        attrs: { namespace: NS, verb: 'update', group: 'subresources.kubevirt.io', version: 'v1', resource: 'virtualmachines', subresource: 'start', name: 'testvm' },
      },
    ]);
  });

  test('a new ConfigMap takes effect without a restart', async () => {
    reseed(RESOURCES.configMaps, authConfigMap(tls.frontProxyCa.cert, ['someone-else']));
    await pollUntil(async () => ((await call('PUT', vmPath('testvm', 'start'))).code === 401 ? true : undefined), 'the old allowed name to be refused');
    expect((await call('PUT', vmPath('testvm', 'start'), { client: 'other' })).code).toBe(202);
  });
});

describe('authorization', () => {
  test('denied: 403 naming the user, the verb and the subresource; the VM is untouched', async () => {
    api.seed(RESOURCES.virtualMachines, newVm(withRunStrategy('Halted')));
    allow = () => false;
    const r = await call('PUT', vmPath('testvm', 'start'));
    expect(r.code).toBe(403);
    expect(r.json()).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      message: 'virtualmachines.subresources.kubevirt.io "testvm" is forbidden: User "alice" cannot update resource "virtualmachines/start" in API group "subresources.kubevirt.io" in the namespace "ns"',
      details: { name: 'testvm', group: 'subresources.kubevirt.io', kind: 'virtualmachines' },
    });
    expect(storedVm().spec.runStrategy).toBe('Halted');
  });

  test('console asks for get on virtualmachineinstances/console', async () => {
    api.seed(RESOURCES.virtualMachineInstances, newVmi());
    allow = () => false;
    await expect(openConsole()).rejects.toThrow(/403/);
    expect(decisions.map((d) => `${d.attrs.verb} ${d.attrs.resource}/${d.attrs.subresource}`)).toEqual(['get virtualmachineinstances/console']);
  });
});

describe('start, stop, restart', () => {
  test('start of a Halted VM: 202 and runStrategy Always', async () => {
    api.seed(RESOURCES.virtualMachines, newVm(withRunStrategy('Halted')));
    const r = await call('PUT', vmPath('testvm', 'start'));
    expect([r.code, r.body]).toEqual([202, '']);
    expect(storedVm().spec.runStrategy).toBe('Always');
  });

  test('stop of a Manual VM: a Stop request for its VMI in the status', async () => {
    api.seed(RESOURCES.virtualMachines, newVm(withRunStrategy('Manual')));
    api.seed(RESOURCES.virtualMachineInstances, newVmi());
    expect((await call('PUT', vmPath('testvm', 'stop'), { body: '{"gracePeriod": 3}' })).code).toBe(202);
    expect(storedVm().status?.stateChangeRequests).toEqual([{ action: 'Stop', uid: 'vmi-uid' }]);
    expect(api.all<ReturnType<typeof newVmi>>(RESOURCES.virtualMachineInstances)[0]!.spec.terminationGracePeriodSeconds).toBe(3);
  });

  test('start of a running VM: 409 "VM is already running"; of a missing one: 404', async () => {
    api.seed(RESOURCES.virtualMachines, newVm(withRunStrategy('Manual')));
    api.seed(RESOURCES.virtualMachineInstances, newVmi());
    expect((await call('PUT', vmPath('testvm', 'start'))).json()).toMatchObject({ code: 409, reason: 'Conflict', message: 'Operation cannot be fulfilled on virtualmachine.kubevirt.io "testvm": VM is already running' });
    expect((await call('PUT', vmPath('nope', 'start'))).json()).toMatchObject({ code: 404, reason: 'NotFound', message: 'virtualmachine.kubevirt.io "nope" not found' });
  });

  test('dry run: the same checks, nothing written', async () => {
    api.seed(RESOURCES.virtualMachines, newVm(withRunStrategy('Halted')));
    expect((await call('PUT', vmPath('testvm', 'start'), { body: '{"dryRun":["All"]}' })).code).toBe(202);
    expect(storedVm().spec.runStrategy).toBe('Halted');
    expect((await call('PUT', vmPath('testvm', 'stop'), { body: '{"dryRun":["All"]}' })).json()).toMatchObject({ code: 409, message: expect.stringMatching(/VM is not running$/) });
  });

  test('a body that does not parse is a 400', async () => {
    api.seed(RESOURCES.virtualMachines, newVm());
    expect((await call('PUT', vmPath('testvm', 'stop'), { body: '{"gracePeriod": "soon"}' })).json()).toMatchObject({ code: 400, reason: 'BadRequest', message: expect.stringContaining('gracePeriod') });
  });

  test('a queue that changed between read and patch: 409, the other request kept', async () => {
    api.seed(RESOURCES.virtualMachines, newVm(withRunStrategy('Manual'), withVmStatus({ stateChangeRequests: [{ action: 'Start' }] })));
    api.seed(RESOURCES.virtualMachineInstances, newVmi());
    // Someone else queues a request after the handler read the VM and before its patch lands.
    const realGet = api.get.bind(api);
    api.get = (async (res, ns, name) => {
      const obj = await realGet(res, ns, name);
      if (res === RESOURCES.virtualMachines) reseed(RESOURCES.virtualMachines, newVm(withRunStrategy('Manual'), withVmStatus({ stateChangeRequests: [{ action: 'Stop', uid: 'other' }] })));
      return obj;
    }) as typeof api.get;
    const r = await call('PUT', vmPath('testvm', 'stop'));
    expect(r.json()).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(storedVm().status?.stateChangeRequests).toEqual([{ action: 'Stop', uid: 'other' }]);
  });
});

describe('pause and unpause go to the handler of the VMI node over mutual TLS', () => {
  test('pause: the handler is called with the api client certificate; 200', async () => {
    api.seed(RESOURCES.virtualMachineInstances, newVmi());
    const r = await call('PUT', vmiPath('testvm', 'pause'));
    expect(r.code).toBe(200);
    expect(handlerCalls).toEqual([{ method: 'PUT', url: `/v1/namespaces/${NS}/virtualmachineinstances/testvm/pause`, peer: 'virt-api' }]);
  });

  test('checked before the handler: not running, already paused, not paused', async () => {
    api.seed(RESOURCES.virtualMachineInstances, newVmi(inPhase('Scheduled')));
    expect((await call('PUT', vmiPath('testvm', 'pause'))).json()).toMatchObject({ code: 409, message: 'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "testvm": VM is not running' });
    reseed(RESOURCES.virtualMachineInstances, newVmi(paused));
    expect((await call('PUT', vmiPath('testvm', 'pause'))).json()).toMatchObject({ code: 409, message: expect.stringMatching(/VMI is already paused$/) });
    reseed(RESOURCES.virtualMachineInstances, newVmi());
    expect((await call('PUT', vmiPath('testvm', 'unpause'))).json()).toMatchObject({ code: 409, message: expect.stringMatching(/VMI is not paused$/) });
    expect(handlerCalls).toHaveLength(0);
  });

  test('a handler whose certificate is not CN virt-handler is not called: 500 naming why', async () => {
    handler.closeAllConnections();
    await new Promise((r) => handler.close(r));
    handlerCert = 'notHandler';
    const p = await startHandler();
    await sub.close();
    sub = createSubresourceApiFrom({ api, log: captureLogger('error').log, namespace: STACK_NS, handlerClientTls: () => undefined }, {
      requestHeaderConfig: watchRequestHeaderConfig(api, captureLogger('error').log), authorizer,
      handlers: podHandlerLocator(api, STACK_NS, p),
      handlerClient: mutualTlsHandlerClient(() => ({ cert: tls.apiClient.cert, key: tls.apiClient.key, ca: tls.stackCa.cert })), version: 'test',
    });
    await pollUntil(async () => ((await call('GET', BASE)).code === 200 ? true : undefined), 'the new module');
    api.seed(RESOURCES.virtualMachineInstances, newVmi());
    const r = await pollUntil(async () => { const x = await call('PUT', vmiPath('testvm', 'pause')); return x.code === 401 ? undefined : x; }, 'the ConfigMap to be read');
    expect(r.json()).toMatchObject({ code: 500, reason: 'InternalError', message: expect.stringContaining('not virt-handler') });
    expect(handlerCalls).toHaveLength(0);
  });
});

function openConsole(protocols: string[] = ['plain.kubevirt.io']): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const options: ClientOptions & ConnectionOptions = {
      ca: tls.servingCa.cert, servername: 'localhost', cert: tls.frontProxyClient.cert, key: tls.frontProxyClient.key, headers: { 'X-Remote-User': 'alice', 'X-Remote-Group': 'devs' },
    };
    const ws = new WebSocket(`wss://127.0.0.1:${port}${vmiPath('testvm', 'console')}`, protocols, options);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(new Error(`${res.statusCode} ${body}`)));
    });
    ws.once('error', reject);
  });
}

describe('console', () => {
  test('bytes go user -> api -> handler and back, with plain.kubevirt.io on both legs', async () => {
    api.seed(RESOURCES.virtualMachineInstances, newVmi());
    const ws = await openConsole();
    expect(ws.protocol).toBe('plain.kubevirt.io');
    const answer = new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString())));
    ws.send(Buffer.from('hello\n'));
    expect(await answer).toBe('HELLO\n');
    expect(handlerCalls).toEqual([{ method: 'GET', url: `/v1/namespaces/${NS}/virtualmachineinstances/testvm/console`, peer: 'virt-api', protocol: 'plain.kubevirt.io' }]);
    ws.close();
  });

  test('either side closing closes the other', async () => {
    api.seed(RESOURCES.virtualMachineInstances, newVmi());
    const user = await openConsole();
    await pollUntil(() => handlerStreams[0], 'the handler side');
    const handlerClosed = new Promise<void>((resolve) => handlerStreams[0]!.once('close', () => resolve()));
    user.close();
    await handlerClosed;
    const again = await openConsole();
    await pollUntil(() => handlerStreams[1], 'the second handler side');
    const userClosed = new Promise<void>((resolve) => again.once('close', () => resolve()));
    handlerStreams[1]!.close();
    await userClosed;
  });

  test('a large burst arrives whole and in order through both legs', async () => {
    api.seed(RESOURCES.virtualMachineInstances, newVmi());
    const user = await openConsole();
    const payload = Buffer.alloc(4 << 20, 'abcdefghij');
    let got = 0;
    const done = new Promise<void>((resolve, reject) => {
      const expected = payload.toString().toUpperCase();
      let text = '';
      user.on('message', (d: Buffer) => {
        text += d.toString();
        got += d.length;
        if (got >= payload.length) (text === expected ? resolve() : reject(new Error('bytes changed on the way')));
      });
    });
    user.send(payload);
    await done;
    user.close();
  });

  test('a VMI that is not running is refused before the upgrade with a Status', async () => {
    api.seed(RESOURCES.virtualMachineInstances, newVmi(inPhase('Scheduling')));
    await expect(openConsole()).rejects.toThrow(/^400 .*"message":"VMI is not running"/);
    expect(handlerCalls).toHaveLength(0);
  });

  test('a plain GET on a stream is a 400 that names the way', async () => {
    api.seed(RESOURCES.virtualMachineInstances, newVmi());
    expect((await call('GET', vmiPath('testvm', 'vnc'))).json()).toMatchObject({ code: 400, message: expect.stringContaining('WebSocket') });
  });
});
