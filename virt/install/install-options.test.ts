import { installManifests } from './manifests.js';
import { resolveInstallOptions } from './install-options.js';

type Obj = { kind: string; metadata: { name: string }; spec?: { template?: { spec?: { containers?: { args?: string[] }[] } } } };
const argsOf = (objs: readonly unknown[], name: string) => (objs as Obj[]).find((o) => o.kind === 'Deployment' && o.metadata.name === name)?.spec?.template?.spec?.containers?.[0]?.args ?? [];

describe('install options of issue 12', () => {
  it('passes the migrations settings to the controller and the default evictionStrategy to the api, only when given', () => {
    const plain = installManifests({});
    expect(argsOf(plain, 'virt-controller').some((a) => a.startsWith('--migrations'))).toBe(false);
    expect(argsOf(plain, 'virt-api').some((a) => a.startsWith('--eviction-strategy'))).toBe(false);
    const set = installManifests({ migrations: { parallelMigrationsPerCluster: 2, bandwidthPerMigration: '64Mi' }, evictionStrategy: 'LiveMigrate' });
    expect(argsOf(set, 'virt-controller')).toContain('--migrations={"parallelMigrationsPerCluster":2,"bandwidthPerMigration":"64Mi"}');
    expect(argsOf(set, 'virt-api')).toContain('--eviction-strategy=LiveMigrate');
  });

  it('refuses a wrong value by its field', () => {
    expect(() => resolveInstallOptions({ migrations: { progressTimeout: -1 } })).toThrow(/^migrations.progressTimeout: -1 is not an integer ≥ 0/);
    expect(() => resolveInstallOptions({ evictionStrategy: 'Drain' as 'None' })).toThrow(/^evictionStrategy: "Drain" is not LiveMigrate or None/);
  });
});
