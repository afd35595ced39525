import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfigError, loadKubeConfig } from './kubeconfig.js';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: one
  cluster: { server: https://10.0.0.1:6443, insecure-skip-tls-verify: true }
- name: two
  cluster: { server: https://10.0.0.2:6443, insecure-skip-tls-verify: true }
users:
- name: admin
  user: { token: t }
contexts:
- name: first
  context: { cluster: one, user: admin }
- name: second
  context: { cluster: two, user: admin }
- name: broken
  context: { cluster: missing, user: admin }
current-context: first
`;

describe('loadKubeConfig', () => {
  let dir: string;
  const env = { ...process.env };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
    writeFileSync(join(dir, 'config'), KUBECONFIG);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    process.env = { ...env };
  });

  it('reads an explicit file and its current context, or the context asked for', () => {
    expect(loadKubeConfig({ kubeconfig: join(dir, 'config') }).getCurrentCluster()?.server).toBe('https://10.0.0.1:6443');
    expect(loadKubeConfig({ kubeconfig: join(dir, 'config'), context: 'second' }).getCurrentCluster()?.server).toBe('https://10.0.0.2:6443');
  });

  it('names an unknown context, a context without a cluster, and a missing file', () => {
    expect(() => loadKubeConfig({ kubeconfig: join(dir, 'config'), context: 'nope' })).toThrow(/context "nope" is not in .* \(contexts: first, second, broken\)/);
    expect(() => loadKubeConfig({ kubeconfig: join(dir, 'config'), context: 'broken' })).toThrow(KubeConfigError);
    expect(() => loadKubeConfig({ kubeconfig: join(dir, 'missing') })).toThrow(/cannot load the kubeconfig from .*missing/);
  });

  it('uses KUBECONFIG as kubectl does, and the service account in a pod when there is no KUBECONFIG', () => {
    process.env.KUBECONFIG = join(dir, 'config');
    process.env.KUBERNETES_SERVICE_HOST = '10.96.0.1';
    process.env.KUBERNETES_SERVICE_PORT = '443';
    expect(loadKubeConfig().getCurrentCluster()?.server).toBe('https://10.0.0.1:6443');
    delete process.env.KUBECONFIG;
    expect(loadKubeConfig().getCurrentCluster()?.server).toBe('https://10.96.0.1:443');
  });

  it('says what to set when there is no configuration at all', () => {
    delete process.env.KUBECONFIG;
    delete process.env.KUBERNETES_SERVICE_HOST;
    process.env.HOME = dir; // no .kube/config below it
    expect(() => loadKubeConfig()).toThrow(/KUBECONFIG is not set .* does not exist; pass --kubeconfig or set KUBECONFIG/);
  });
});
