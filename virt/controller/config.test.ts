import { MIGRATION_DEFAULTS } from '../api/defaults/index.js';
import { ConfigError, parseControllerConfig, parseMigrations } from './config.js';

const base = { namespace: 'virtstack', launcherImage: 'localhost/virtstack/launcher:dev', identity: 'virt-controller-abc' };

describe('parseControllerConfig', () => {
  it('fills the defaults the install manifests rely on', () => {
    expect(parseControllerConfig(base)).toEqual({
      namespace: 'virtstack',
      launcherImage: 'localhost/virtstack/launcher:dev',
      launcherImagePullPolicy: 'IfNotPresent',
      importerImage: 'localhost/virtstack/importer:dev',
      emulation: 'auto',
      logLevel: 'info',
      identity: 'virt-controller-abc',
      workers: 2,
      migrations: MIGRATION_DEFAULTS,
    });
  });

  it('reads upstream\'s migrations settings as JSON, keeping the defaults of what it leaves out', () => {
    expect(parseMigrations('{"bandwidthPerMigration":"64Mi","parallelMigrationsPerCluster":1,"allowAutoConverge":true}')).toEqual({
      ...MIGRATION_DEFAULTS, bandwidthPerMigration: '64Mi', parallelMigrationsPerCluster: 1, allowAutoConverge: true,
    });
    expect(parseMigrations(undefined)).toEqual(MIGRATION_DEFAULTS);
    expect(() => parseMigrations('{"parallelMigrationsPerCluster":0}')).toThrow(/^--migrations.parallelMigrationsPerCluster: 0 is not an integer ≥ 1/);
    expect(() => parseMigrations('{"bandwidth":"1Mi"}')).toThrow(/^--migrations.bandwidth: is not a supported migration setting/);
    expect(() => parseMigrations('{"bandwidthPerMigration":"fast"}')).toThrow(/is not a quantity/);
    expect(() => parseMigrations('{"allowPostCopy":"yes"}')).toThrow(/is not true or false/);
    expect(() => parseMigrations('[1]')).toThrow(/is not a JSON object/);
    expect(() => parseMigrations('{')).toThrow(/^--migrations: is not JSON/);
  });

  it('the importer image defaults to the launcher\'s registry and tag, or is given', () => {
    expect(parseControllerConfig({ ...base, launcherImage: 'reg.example:5000/vs/launcher@sha256:ab' }).importerImage).toBe('reg.example:5000/vs/importer@sha256:ab');
    expect(parseControllerConfig({ ...base, importerImage: 'reg/imp:1' }).importerImage).toBe('reg/imp:1');
    expect(() => parseControllerConfig({ ...base, launcherImage: 'reg/vm-runner:1' })).toThrow(/^--importer-image: /);
  });

  it('takes every setting', () => {
    expect(parseControllerConfig({ ...base, launcherImagePullPolicy: 'Never', emulation: 'off', logLevel: 'debug', workers: '4' })).toMatchObject({ launcherImagePullPolicy: 'Never', emulation: 'off', logLevel: 'debug', workers: 4 });
  });

  it('names the flag and says what would be right', () => {
    const err = (raw: Parameters<typeof parseControllerConfig>[0]) => {
      try {
        parseControllerConfig(raw);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).message;
      }
      throw new Error('no error');
    };
    expect(err({ ...base, namespace: undefined })).toBe("--namespace: is required (the stack's namespace, e.g. --namespace=virtstack (or POD_NAMESPACE))");
    expect(err({ ...base, namespace: 'Virt_Stack' })).toMatch(/^--namespace: "Virt_Stack" is not a namespace name/);
    expect(err({ ...base, launcherImage: '' })).toMatch(/^--launcher-image: is required/);
    expect(err({ ...base, emulation: 'maybe' })).toBe('--emulation: "maybe" is not one of auto, on, off (pass --emulation=auto)');
    expect(err({ ...base, logLevel: 'loud' })).toMatch(/^--log-level: "loud" is not one of debug, info, warn, error/);
    expect(err({ ...base, launcherImagePullPolicy: 'Sometimes' })).toMatch(/^--launcher-image-pull-policy/);
    expect(err({ ...base, workers: '0' })).toMatch(/^--workers: "0" is not a positive integer/);
    expect(err({ ...base, identity: '' })).toMatch(/^--identity: is required/);
  });
});
