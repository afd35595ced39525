import type { CliCommand } from './command.js';
import { COMMANDS, runVirtctl, virtctlUsage } from './dispatch.js';
import { memoryIo } from './testing/memory-io.js';

describe('virtctl dispatch', () => {
  it('lists exactly the commands that exist', () => {
    expect(COMMANDS.map((c) => c.name)).toEqual(['start', 'stop', 'restart', 'pause', 'unpause', 'migrate', 'migrate-cancel', 'console', 'vnc', 'expose', 'image-upload', 'validate']);
    expect(virtctlUsage()).toMatch(/\n {2}validate +check manifests offline/);
    expect(virtctlUsage()).toMatch(/\n {2}console +connect to the serial console of a VMI \(escape: Ctrl\+\]\)/);
    expect(virtctlUsage()).not.toMatch(/\bport-forward\b/);
  });

  it.each([['--help'], ['-h'], ['help']])('%s prints the usage on stdout with exit 0', async (flag) => {
    const io = memoryIo();
    expect(await runVirtctl([flag], io)).toBe(0);
    expect(io.out).toBe(virtctlUsage());
  });

  it('prints the usage on stderr with exit 2 when no command is given', async () => {
    const io = memoryIo();
    expect(await runVirtctl([], io)).toBe(2);
    expect(io.err).toBe(virtctlUsage());
  });

  it('names an unknown command and lists the available ones, exit 2', async () => {
    const io = memoryIo();
    expect(await runVirtctl(['strat'], io)).toBe(2);
    expect(io.err.split('\n')[0]).toBe("virtctl: unknown command 'strat'; available: start, stop, restart, pause, unpause, migrate, migrate-cancel, console, vnc, expose, image-upload, validate");
    expect(io.out).toBe('');
  });

  it('hands the remaining arguments to the command and returns its code', async () => {
    const seen: string[][] = [];
    const fake: CliCommand = { name: 'fake', summary: 'a fake', run: async (args) => (seen.push([...args]), 7) };
    const io = memoryIo();
    expect(await runVirtctl(['fake', '-x', 'y'], io, [fake])).toBe(7);
    expect(seen).toEqual([['-x', 'y']]);
  });

  it.each(COMMANDS.map((c) => [c.name]))('%s --help prints its usage on stdout, exit 0', async (name) => {
    const io = memoryIo();
    expect(await runVirtctl([name, '--help'], io)).toBe(0);
    expect(io.out).toMatch(new RegExp(`^usage: virtctl ${name}\\b`));
    expect(io.err).toBe('');
  });

  it('help COMMAND shows that command\'s help', async () => {
    const io = memoryIo();
    expect(await runVirtctl(['help', 'validate'], io)).toBe(0);
    expect(io.out).toMatch(/^usage: virtctl validate -f PATH/);
  });
});
