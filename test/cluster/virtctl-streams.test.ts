// virtctl console and vnc on the cluster: user → kube-apiserver → virt-api (aggregated API) → the VMI's
// handler (mutual TLS) → the launcher's console / VNC socket. The console runs in a pseudo-terminal, as a
// user at a shell has it; vnc --proxy-only answers a viewer with QEMU's RFB greeting.
import { connect } from 'node:net';
import { waitFor } from './exec.js';
import { GUEST_MARKER, stackNamespace, vmManifest, waitVmiPhase } from './stack.js';
import { kubectlOk as ok } from './testing.js';
import { virtctl, virtctlChild, virtctlInPty } from './virtctl-support.js';

const ns = stackNamespace('virtctl-streams');

test('virtctl console in a terminal shows the guest booting, echoes a typed line, and ends on Ctrl+]', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'tty', 'Halted'));
  // Attached before the VM starts (console waits for the VMI, as upstream's --timeout), so the boot is seen.
  const c = virtctlInPty(['console', 'tty', '-n', ns.name, '--timeout=5']);
  try {
    await c.waitOutput('console waiting for the VMI', (o) => o.includes('waiting for VirtualMachineInstance'), 60_000);
    expect(virtctl(['start', 'tty', '-n', ns.name]).code).toBe(0);
    await c.waitOutput('the connection line', (o) => o.includes('Successfully connected to tty console. The escape sequence is ^]'), 300_000);
    await c.waitOutput('the guest\'s boot marker', (o) => o.includes(GUEST_MARKER), 180_000);
    // The guest's console is a tty in its default (cooked, echo) mode: a typed line comes back.
    const line = `virtctl-typed-${Date.now().toString(36)}`;
    const before = c.output().length;
    c.write(`${line}\r`);
    await c.waitOutput('the typed line echoed', (o) => o.slice(before).includes(line), 60_000);
    c.write(Buffer.from([0x1d]));
    expect(await c.exited).toBe(0);
  } finally {
    c.proc.kill('SIGKILL');
  }
}, 900_000);

test('virtctl vnc --proxy-only prints {"port":N} and a viewer on that port gets the RFB greeting', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'screen', 'Always'));
  await waitVmiPhase(ns.name, 'screen', 'Running', 300_000);
  const v = virtctlChild(['vnc', 'screen', '-n', ns.name, '--proxy-only']);
  try {
    const out = await v.waitOutput('the port line', (o) => o.includes('\n'), 60_000);
    expect(out).toMatch(/^\{"port":\d+\}\n$/);
    const { port } = JSON.parse(out) as { port: number };
    for (const viewer of [1, 2]) {
      const greeting = await new Promise<string>((resolve, reject) => {
        const s = connect(port, '127.0.0.1');
        let got = Buffer.alloc(0);
        s.on('data', (d: Buffer) => {
          got = Buffer.concat([got, d]);
          if (got.length >= 12) {
            resolve(got.toString('latin1', 0, 12));
            s.destroy();
          }
        });
        s.once('error', reject);
        s.setTimeout(60_000, () => reject(new Error(`viewer ${viewer}: no greeting within 60 s`)));
      });
      expect(greeting).toMatch(/^RFB 003\.00\d\n$/);
    }
    v.proc.kill('SIGINT');
    expect(await v.exited).toBe(0);
  } finally {
    v.proc.kill('SIGKILL');
  }
}, 600_000);

test('virtctl expose vm creates a Service whose endpoints are the VM\'s launcher pod', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'screen', 'Always'));
  await waitVmiPhase(ns.name, 'screen', 'Running', 300_000);
  const r = virtctl(['expose', 'vm', 'screen', '-n', ns.name, '--name', 'screen-http', '--port', '8080', '--target-port', '80']);
  expect(r).toEqual({ code: 0, stdout: 'Service screen-http successfully exposed for vm screen\n', stderr: '' });
  const svc = JSON.parse(ok(['-n', ns.name, 'get', 'service', 'screen-http', '-o', 'json'])) as { spec: { selector: Record<string, string>; ports: { port: number; targetPort: number }[] } };
  expect(svc.spec.selector).toEqual({ app: 'screen' });
  expect(svc.spec.ports[0]).toMatchObject({ port: 8080, targetPort: 80, protocol: 'TCP' });
  const podIp = ok(['-n', ns.name, 'get', 'pods', '-l', 'kubevirt.io/domain=screen', '-o', 'jsonpath={.items[0].status.podIP}']).trim();
  await waitFor('the Service\'s endpoints to hold the launcher pod', 60_000, () => {
    const ips = ok(['-n', ns.name, 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=screen-http', '-o', 'jsonpath={.items[*].endpoints[*].addresses[*]}']).trim();
    return ips.split(/\s+/).includes(podIp) ? true : undefined;
  });
  const again = virtctl(['expose', 'vm', 'screen', '-n', ns.name, '--name', 'screen-http', '--port', '8080']);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/^virtctl expose: services "screen-http" already exists\n$/);
}, 600_000);
