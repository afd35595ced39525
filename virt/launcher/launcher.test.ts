import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VirtualMachineInstance } from '../api/index.js';
import { until } from '../kube/testing/poll.js';
import { LauncherFault, type SyncOptions } from '../protocol/index.js';
import type { ConverterContext } from './domain/context.js';
import { Launcher } from './launcher.js';
import { DomainEventType, DomainState, FakeHypervisor, LibvirtError, MigrateFlag, TypedParamType, VirErrorCode, type Connection } from './libvirt/index.js';
import { jsonLogger } from '../logger/logger.js';

const vmi = (uid = 'uid-1', over: Partial<VirtualMachineInstance['spec']['domain']> = {}): VirtualMachineInstance => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'vm1', namespace: 'ns', uid },
  spec: { domain: { memory: { guest: '128Mi' }, devices: {}, ...over }, terminationGracePeriodSeconds: 1 },
});

const ctx: ConverterContext = { accelerator: 'tcg', volumes: {}, podNetwork: { kind: 'user' }, serialLog: '/s.log', vncSocket: '/vnc' };

async function setup(context: ConverterContext = ctx, extra: { migrationTarget?: boolean } = {}) {
  const hv = new FakeHypervisor();
  const conn: Connection = await hv.open('qemu:///system');
  const gone: string[] = [];
  const failed: boolean[] = [];
  const released: string[] = [];
  const synced: SyncOptions[] = [];
  const launcher = new Launcher({
    conn,
    prepare: async (_vmi, options) => {
      synced.push(options);
      return { context, acceleratorReason: 'KVM unusable: probe timed out', release: async () => void released.push('dhcp') };
    },
    log: jsonLogger({}, { write: () => undefined }),
    onGone: (r, f) => {
      gone.push(r);
      failed.push(f);
    },
    pollMs: 10,
    ...extra,
  });
  await launcher.start();
  return { hv, launcher, gone, failed, released, synced };
}

describe('launcher', () => {
  it('applies upstream\'s defaults to a VMI that arrives without them: the guest gets the default pod interface', async () => {
    const { hv, launcher } = await setup();
    await launcher.sync({ vmi: vmi() });
    expect(hv.domains.get('ns_vm1')?.xml).toMatch(/<interface type='user'>/);
    await launcher.stop();
  });

  it('defines and starts the VMI\'s domain once, and reports the accelerator', async () => {
    const { hv, launcher, synced, released } = await setup();
    const info = await launcher.sync({ vmi: vmi(), options: { accelerator: 'tcg' } });
    expect(synced).toEqual([{ accelerator: 'tcg' }]);
    expect(info).toMatchObject({ name: 'ns_vm1', state: 'Running', reason: 'Booted', accelerator: 'tcg', acceleratorReason: 'KVM unusable: probe timed out' });
    expect(hv.domains.get('ns_vm1')?.persistent).toBe(true);
    await expect(launcher.sync({ vmi: vmi() })).resolves.toMatchObject({ state: 'Running' });
    await expect(launcher.sync({ vmi: vmi('uid-2') })).rejects.toMatchObject({ code: 'WrongVMI' });
    await launcher.stop();
    expect(released).toEqual(['dhcp']);
  });

  it('answers an invalid spec with the field that is wrong', async () => {
    const { launcher } = await setup();
    const err = await launcher.sync({ vmi: vmi('u', { memory: {} }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LauncherFault);
    expect(err).toMatchObject({ code: 'InvalidSpec' });
    expect((err as Error).message).toMatch(/spec.domain.memory.guest/);
    await expect(launcher.kill({})).rejects.toMatchObject({ code: 'NoDomain' });
    await launcher.stop();
  });

  it('shuts down gracefully and then reports the VM gone', async () => {
    const { launcher, gone, failed } = await setup();
    await launcher.sync({ vmi: vmi() });
    await expect(launcher.shutdown({})).resolves.toMatchObject({ graceful: true });
    await until('gone', () => gone.length > 0);
    expect(gone[0]).toMatch(/Shutoff|no longer exists/);
    expect(failed).toEqual([false]);
    await launcher.stop();
  });

  it('forces the VM off after the grace period when the guest ignores the button', async () => {
    const { hv, launcher, gone } = await setup();
    hv.behaviour.guestHonoursShutdown = false;
    await launcher.sync({ vmi: vmi() });
    const started = Date.now();
    const r = await launcher.shutdown({ gracePeriodSeconds: 0.2 });
    expect(r.graceful).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    await until('gone', () => gone.length > 0);
    await launcher.stop();
  });

  it('migrates live, peer to peer, persistent on the target, and then lets go of the VM', async () => {
    const { hv, launcher, gone } = await setup();
    await launcher.sync({ vmi: vmi() });
    const r = await launcher.migrate({ target: { uri: 'qemu+tcp://10.0.0.2:16509/system', migrationUri: 'tcp://10.0.0.2' }, options: { nonSharedDisk: true, bandwidthMiBps: 64, disks: ['vda'] } });
    expect(r).toMatchObject({ downtimeMs: 42 });
    const m = hv.migrations[0]!;
    expect(m.flags).toBe(MigrateFlag.Live | MigrateFlag.PeerToPeer | MigrateFlag.PersistDest | MigrateFlag.AbortOnError | MigrateFlag.NonSharedDisk);
    expect(m.params.map((p) => [p.field, p.value])).toEqual([['migrate_uri', 'tcp://10.0.0.2'], ['bandwidth', 64n], ['migrate_disks', 'vda']]);
    await until('gone', () => gone.length > 0);
    expect((await launcher.getDomain({}))?.migration?.phase).toBe('Completed');
    const second = await setup();
    await second.launcher.sync({ vmi: vmi() });
    await second.launcher.migrate({ target: { uri: 'qemu+tcp://t/system' }, options: { nonSharedDisk: true, incremental: true } });
    expect(second.hv.migrations[0]!.flags & (MigrateFlag.NonSharedInc | MigrateFlag.NonSharedDisk)).toBe(MigrateFlag.NonSharedInc);
    await second.launcher.stop();
    await launcher.stop();
  });

  it('keeps the VM when a migration is cancelled or fails', async () => {
    const { hv, launcher, gone } = await setup();
    await launcher.sync({ vmi: vmi() });
    hv.behaviour.holdMigrations = true;
    const migrating = launcher.migrate({ target: { uri: 'qemu+tcp://t/system' } });
    await until('the migration to run', () => hv.migrations.length === 1);
    await expect(launcher.migrate({ target: { uri: 'qemu+tcp://t/system' } })).rejects.toMatchObject({ code: 'MigrationInProgress' });
    await expect(launcher.cancelMigration({})).resolves.toEqual({ cancelled: true });
    await expect(migrating).rejects.toMatchObject({ code: 'MigrationCancelled' });
    expect(await launcher.getDomain({})).toMatchObject({ state: 'Running', migration: { phase: 'Cancelled' } });

    hv.behaviour.holdMigrations = false;
    hv.behaviour.migrationError = new LibvirtError({ code: VirErrorCode.OPERATION_FAILED, domain: 10, message: 'unable to connect to server', operation: 'virDomainMigrateToURI3' });
    await expect(launcher.migrate({ target: { uri: 'qemu+tcp://t/system' } })).rejects.toMatchObject({ code: VirErrorCode.OPERATION_FAILED });
    expect(await launcher.getDomain({})).toMatchObject({ state: 'Running', migration: { phase: 'Failed' } });
    expect(gone).toEqual([]);
    await expect(launcher.cancelMigration({})).resolves.toEqual({ cancelled: false });
    await launcher.stop();
  });

  it('migrates over unix sockets: migrate_uri and, for a block migration, disks_uri as given', async () => {
    const { hv, launcher } = await setup();
    await launcher.sync({ vmi: vmi() });
    const target = { uri: 'qemu+unix:///session?socket=/var/run/kubevirt/sockets/migration-libvirt.sock', migrationUri: 'unix:///var/run/kubevirt/sockets/migration-49152.sock', disksUri: 'unix:///var/run/kubevirt/sockets/migration-49153.sock' };
    await expect(launcher.migrate({ target })).rejects.toMatchObject({ code: 'BadRequest' });
    await launcher.migrate({ target, options: { nonSharedDisk: true, incremental: true } });
    const m = hv.migrations[0]!;
    expect(m.destUri).toBe(target.uri);
    expect(m.params).toEqual(expect.arrayContaining([
      { field: 'migrate_uri', type: TypedParamType.String, value: target.migrationUri },
      { field: 'disks_uri', type: TypedParamType.String, value: target.disksUri },
    ]));
    await launcher.stop();
  });

  it('started as a migration target, never starts a VM of its own, even when a sync asks for one', async () => {
    const { hv, launcher } = await setup(ctx, { migrationTarget: true });
    await expect(launcher.sync({ vmi: vmi() })).resolves.toBeNull();
    expect(hv.domains.size).toBe(0);
    await expect(launcher.getDomain({})).resolves.toBeNull();
    await launcher.stop();
  });

  it('as a migration target, adopts the domain once it runs here', async () => {
    const { hv, launcher } = await setup();
    await expect(launcher.sync({ vmi: vmi(), options: { migrationTarget: true } })).resolves.toBeNull();
    await expect(launcher.getDomain({})).resolves.toBeNull();
    await expect(launcher.console({})).rejects.toMatchObject({ code: 'NoDomain', hint: 'this launcher waits for an incoming migration' });
    const r = hv.add('<domain><name>ns_vm1</name></domain>', true);
    r.state = DomainState.Paused;
    await new Promise((res) => setTimeout(res, 30));
    await expect(launcher.getDomain({})).resolves.toBeNull();
    // The incoming migration finished: libvirt resumes the domain here.
    r.state = DomainState.Running;
    hv.emit('ns_vm1', DomainEventType.Resumed);
    let info: Awaited<ReturnType<typeof launcher.getDomain>> = null;
    await until('adoption', async () => (info = await launcher.getDomain({})) !== null);
    expect(info).toMatchObject({ name: 'ns_vm1', state: 'Running' });
    await launcher.stop();
  });

  it('reports a VM whose QEMU died under it as failed, and one it destroyed as not', async () => {
    const { hv, launcher, gone, failed } = await setup();
    await launcher.sync({ vmi: vmi() });
    // virDomainShutoffReason 3: QEMU went away without libvirt stopping it (killed, crashed).
    hv.stop(hv.domains.get('ns_vm1')!, 3);
    await until('gone', () => gone.length > 0);
    expect(gone).toEqual(['domain Shutoff (Crashed)']);
    expect(failed).toEqual([true]);
    await launcher.stop();
  });

  it('kills the VM on request', async () => {
    const { hv, launcher, gone, failed } = await setup();
    await launcher.sync({ vmi: vmi() });
    await expect(launcher.kill({})).resolves.toEqual({ killed: true });
    expect(hv.domains.get('ns_vm1')?.state ?? DomainState.Shutoff).toBe(DomainState.Shutoff);
    await until('gone', () => gone.length > 0);
    expect(failed).toEqual([false]);
    await launcher.stop();
  });

  it('pauses and unpauses a running VM, refusing what does not fit its state by a named fault', async () => {
    const { hv, launcher } = await setup();
    await expect(launcher.pause({})).rejects.toMatchObject({ code: 'NoDomain' });
    await launcher.sync({ vmi: vmi() });
    await expect(launcher.unpause({})).rejects.toMatchObject({ code: 'NotPaused' });
    await expect(launcher.pause({})).resolves.toMatchObject({ state: 'Paused', reason: 'User' });
    expect(hv.domains.get('ns_vm1')?.state).toBe(DomainState.Paused);
    await expect(launcher.pause({})).rejects.toMatchObject({ code: 'AlreadyPaused' });
    await expect(launcher.getDomain({})).resolves.toMatchObject({ state: 'Paused', reason: 'User' });
    await expect(launcher.unpause({})).resolves.toMatchObject({ state: 'Running', reason: 'Unpaused' });
    hv.stop(hv.domains.get('ns_vm1')!, 2);
    await expect(launcher.pause({})).rejects.toMatchObject({ code: 'NotRunning' });
    await launcher.stop();
  });

  it('a paused VM is resumed for a graceful shutdown, so its guest sees the power button', async () => {
    const { hv, launcher } = await setup();
    await launcher.sync({ vmi: vmi() });
    await launcher.pause({});
    await expect(launcher.shutdown({ gracePeriodSeconds: 1 })).resolves.toMatchObject({ graceful: true });
    expect(hv.domains.get('ns_vm1')?.state ?? DomainState.Shutoff).toBe(DomainState.Shutoff);
    await launcher.stop();
  });

  it('a VM paused by libvirt itself (not the user) is not the user\'s to unpause', async () => {
    const { hv, launcher } = await setup();
    await launcher.sync({ vmi: vmi() });
    const r = hv.domains.get('ns_vm1')!;
    r.state = DomainState.Paused;
    r.reason = 2; // Migration
    await expect(launcher.unpause({})).rejects.toMatchObject({ code: 'NotRunning', message: expect.stringContaining('Migration') });
    await launcher.stop();
  });

  it('vnc connects to the domain\'s VNC socket, and refuses a VM without graphics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vnc-'));
    const path = join(dir, 'vnc.sock');
    const server = createServer((s) => s.end('RFB 003.008\n'));
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const { launcher } = await setup({ ...ctx, vncSocket: path });
      await launcher.sync({ vmi: vmi() });
      const s = await launcher.vnc({});
      let seen = '';
      for await (const b of s) seen += (b as Buffer).toString();
      expect(seen).toBe('RFB 003.008\n');
      await launcher.stop();

      const other = await setup({ ...ctx, vncSocket: path });
      await other.launcher.sync({ vmi: vmi('uid-2', { devices: { autoattachGraphicsDevice: false } }) });
      await expect(other.launcher.vnc({})).rejects.toMatchObject({ code: 'NoGraphics' });
      await other.launcher.stop();

      const gone = await setup({ ...ctx, vncSocket: join(dir, 'absent.sock') });
      await gone.launcher.sync({ vmi: vmi('uid-3') });
      await expect(gone.launcher.vnc({})).rejects.toMatchObject({ code: 'VncUnavailable' });
      await gone.launcher.stop();
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
