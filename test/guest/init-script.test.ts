// The guest's /init runs only as PID 1 of a VM, but its pieces are plain shell: these tests run them under
// the guest's own shell (busybox ash with its applets first on PATH, as in the initramfs) when the host has
// busybox, else under the host's /bin/sh, and check the whole script parses.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  INIT_SCRIPT,
  POWEROFF_AFTER_KEY,
  POWEROFF_FUNCTIONS,
  POWEROFF_MARKER,
  POWEROFF_SCHEDULED_PREFIX,
  poweroffAfterLine,
  UDHCPC_SCRIPT,
  USERDATA_PREFIX,
} from './init-script.js';

const BUSYBOX = '/bin/busybox';
let dir: string;
let shell: { cmd: string; args: string[]; env: NodeJS.ProcessEnv };

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function sh(script: string, args: string[] = []): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(shell.cmd, [...shell.args, '-c', script, 'sh', ...args], { env: shell.env, cwd: dir, timeout: 20_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'virtstack-guest-init-'));
  if (existsSync(BUSYBOX)) {
    const bin = join(dir, 'bin');
    await new Promise<void>((resolve, reject) => execFile(BUSYBOX, ['mkdir', '-p', bin], (e) => (e ? reject(e) : resolve())));
    await new Promise<void>((resolve, reject) => execFile(BUSYBOX, ['--install', '-s', bin], (e) => (e ? reject(e) : resolve())));
    shell = { cmd: BUSYBOX, args: ['sh'], env: { PATH: bin } };
  } else {
    shell = { cmd: '/bin/sh', args: [], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } };
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function userData(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function poweroffAfter(text: string): Promise<Ran> {
  return sh(`${POWEROFF_FUNCTIONS}\nvirtstack_poweroff_after "$1"`, [userData(`ud-${Math.random().toString(36).slice(2)}`, text)]);
}

test('the whole init script and the DHCP hook parse', async () => {
  for (const [name, text] of [['init', INIT_SCRIPT], ['udhcpc.sh', UDHCPC_SCRIPT]] as const) {
    const p = userData(name, text);
    const r = await sh('sh -n "$1"', [p]);
    expect({ name, ...r }).toEqual({ name, code: 0, stdout: '', stderr: '' });
  }
});

test('the init script arms the poweroff timer with poweroff -f from the cidata user-data, with the functions it tests', () => {
  expect(INIT_SCRIPT).toContain(POWEROFF_FUNCTIONS);
  expect(INIT_SCRIPT).toContain('poweroff_after=$(virtstack_poweroff_after /mnt/cidata/user-data)');
  expect(INIT_SCRIPT).toContain('virtstack_poweroff_timer "$poweroff_after" poweroff -f');
  // armed after the user-data is read and echoed, before the services that could hold the boot up
  const read = INIT_SCRIPT.indexOf('virtstack_poweroff_after /mnt/cidata/user-data');
  expect(read).toBeGreaterThan(INIT_SCRIPT.indexOf(USERDATA_PREFIX));
  expect(INIT_SCRIPT.indexOf('virtstack_poweroff_timer "$poweroff_after"')).toBeLessThan(INIT_SCRIPT.indexOf('httpd -p'));
});

test.each([
  ['a plain line', `#cloud-config\nhostname: a\n${POWEROFF_AFTER_KEY}: 5\n`, '5'],
  ['the line the tests write', `#cloud-config\n${poweroffAfterLine(12)}\n`, '12'],
  ['no space, trailing blanks and CRLF', `#cloud-config\r\n${POWEROFF_AFTER_KEY}:7  \r\n`, '7'],
  ['a quoted number', `${POWEROFF_AFTER_KEY}: "30"\n`, '30'],
  ['zero (at once)', `${POWEROFF_AFTER_KEY}: 0\n`, '0'],
  ['the first of two lines', `${POWEROFF_AFTER_KEY}: 3\n${POWEROFF_AFTER_KEY}: 9\n`, '3'],
])('virtstack_poweroff_after reads %s', async (_what, text, seconds) => {
  const r = await poweroffAfter(text);
  expect(r).toEqual({ code: 0, stdout: `${seconds}\n`, stderr: '' });
});

test.each([
  ['no request', '#cloud-config\nhostname: quiet\n'],
  ['an indented key (a nested YAML key, not ours)', `runcmd:\n  ${POWEROFF_AFTER_KEY}: 5\n`],
  ['a longer key that starts like ours', `${POWEROFF_AFTER_KEY}_not: 5\n`],
])('virtstack_poweroff_after prints nothing for %s', async (_what, text) => {
  expect(await poweroffAfter(text)).toEqual({ code: 0, stdout: '', stderr: '' });
});

test('virtstack_poweroff_after prints nothing for a missing file', async () => {
  expect(await sh(`${POWEROFF_FUNCTIONS}\nvirtstack_poweroff_after "$1"`, [join(dir, 'no-such-user-data')])).toEqual({ code: 0, stdout: '', stderr: '' });
});

test.each([['soon'], ['-1'], ['2.5'], ['5s']])('virtstack_poweroff_after ignores %s, naming it on stderr', async (value) => {
  const r = await poweroffAfter(`${POWEROFF_AFTER_KEY}: ${value}\n`);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe(`virtstack-guest: ignoring ${POWEROFF_AFTER_KEY}: ${value} (not a whole number of seconds)\n`);
});

test('virtstack_poweroff_timer says it is armed at once, then after the delay prints the marker and runs the command', async () => {
  const out = join(dir, 'timer.log');
  const ran = join(dir, 'timer.ran');
  const started = Date.now();
  // The stand-in for poweroff -f records that it ran; the marker goes to the log first. `exec` rather than
  // a redirect of the call: the shell would keep our pipe open in the timer's subshell as a saved fd.
  const r = await sh(`exec >"$1" 2>&1\n${POWEROFF_FUNCTIONS}\nvirtstack_poweroff_timer 1 sh -c 'echo ran > "$1"' x "$2"`, [out, ran]);
  expect(r.code).toBe(0);
  // The shell returned while the timer waits in the background.
  expect(existsSync(ran)).toBe(false);
  expect(readFileSync(out, 'utf8')).toBe(`${POWEROFF_SCHEDULED_PREFIX}1 s\n`);
  await waitFor('the stand-in command to run', 10_000, () => (existsSync(ran) ? true : undefined));
  expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  expect(readFileSync(out, 'utf8')).toBe(`${POWEROFF_SCHEDULED_PREFIX}1 s\n${POWEROFF_MARKER}\n`);
  expect(readFileSync(ran, 'utf8')).toBe('ran\n');
});

test('poweroffAfterLine refuses what the guest would ignore', () => {
  expect(poweroffAfterLine(5)).toBe(`${POWEROFF_AFTER_KEY}: 5`);
  expect(() => poweroffAfterLine(-1)).toThrow(/whole number >= 0, got -1/);
  expect(() => poweroffAfterLine(1.5)).toThrow(RangeError);
});
