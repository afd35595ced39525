// Decides KVM or TCG by starting an accelerated guest and waiting (bounded) for its marker on the serial
// port; /dev/kvm existing proves nothing (nested KVM here hangs inside the guest). The verdict is cached
// per node, keyed by everything that could change it, so only the first launcher on a node pays.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants, accessSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import type { Accelerator } from '../protocol/messages.js';
import type { Logger } from '../logger/logger.js';
import { BUILTIN_PROBE_MARKER, builtinProbeImage } from './probe-guest.js';

export interface ProbeGuest {
  kernel: string;
  initrd?: string;
  cmdline?: string;
  marker: string;
}

export interface ProbeResult {
  usable: boolean;
  reason: string;
  elapsedMs: number;
}

export interface AcceleratorChoice {
  accelerator: Accelerator;
  reason: string;
  cached: boolean;
}

/** Boots `guest` under `accel` and reports whether its marker appeared within the timeout. */
export function probeBoot(accel: Accelerator, guest: ProbeGuest, timeoutMs: number, qemu = 'qemu-system-x86_64'): Promise<ProbeResult> {
  const started = Date.now();
  const args = ['-machine', `q35,accel=${accel}`, '-m', '256', '-nodefaults', '-nographic', '-display', 'none', '-serial', 'stdio', '-no-reboot', '-kernel', guest.kernel];
  if (accel === 'kvm') args.push('-cpu', 'host');
  if (guest.initrd) args.push('-initrd', guest.initrd);
  if (guest.cmdline) args.push('-append', guest.cmdline);
  return new Promise((resolve) => {
    const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let done = false;
    const finish = (usable: boolean, reason: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve({ usable, reason, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false, `no marker within ${timeoutMs} ms (the guest hangs under ${accel})`), timeoutMs);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('latin1');
      if (out.includes(guest.marker)) finish(true, `guest reached its marker under ${accel} in ${Date.now() - started} ms`);
    });
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', (e) => finish(false, `cannot run ${qemu}: ${e.message}`));
    child.on('exit', (code, sig) => finish(false, `QEMU exited (${code ?? sig}) before the marker: ${err.trim().split('\n').slice(-2).join(' | ')}`));
  });
}

export interface ChooseOptions {
  mode: 'auto' | 'kvm' | 'tcg';
  cacheDir: string;
  log: Logger;
  guest?: ProbeGuest;
  timeoutMs?: number;
  /** TCG boots are slower: the probe guest's sanity boot gets its own, longer limit. */
  tcgTimeoutMs?: number;
  qemu?: string;
  /** The KVM device to check for access (tests point it elsewhere). */
  kvmDevice?: string;
}

function fileKey(p: string): string {
  try {
    const s = statSync(p);
    return `${p}:${s.size}:${s.ctimeMs}`;
  } catch {
    return `${p}:absent`;
  }
}

export async function chooseAccelerator(opts: ChooseOptions): Promise<AcceleratorChoice> {
  if (opts.mode === 'tcg') return { accelerator: 'tcg', reason: 'TCG requested', cached: false };
  const kvmDevice = opts.kvmDevice ?? '/dev/kvm';
  try {
    accessSync(kvmDevice, constants.R_OK | constants.W_OK);
  } catch {
    if (opts.mode === 'kvm') throw new Error('KVM requested but /dev/kvm is not usable; hint: run on a node with KVM, or use --accelerator auto');
    return { accelerator: 'tcg', reason: '/dev/kvm is missing or not accessible', cached: false };
  }
  if (opts.mode === 'kvm') return { accelerator: 'kvm', reason: 'KVM requested', cached: false };

  const qemu = opts.qemu ?? '/usr/bin/qemu-system-x86_64';
  mkdirSync(opts.cacheDir, { recursive: true });
  let guest = opts.guest;
  if (!guest) {
    const image = join(opts.cacheDir, 'probe-guest.bin');
    const bytes = builtinProbeImage();
    if (!existsSync(image) || !readFileSync(image).equals(bytes)) writeFileSync(image, bytes);
    guest = { kernel: image, marker: BUILTIN_PROBE_MARKER };
  }
  const key = createHash('sha256')
    .update([release(), fileKey(qemu), fileKey(kvmDevice), fileKey(guest.kernel), guest.initrd ? fileKey(guest.initrd) : '', guest.cmdline ?? '', guest.marker].join('\n'))
    .digest('hex')
    .slice(0, 16);
  const cacheFile = join(opts.cacheDir, `kvm-probe-${key}.json`);
  if (existsSync(cacheFile)) {
    const c = JSON.parse(readFileSync(cacheFile, 'utf8')) as { accelerator: Accelerator; reason: string };
    return { ...c, cached: true };
  }
  const timeoutMs = opts.timeoutMs ?? 8000;
  // First make sure the probe itself works (under TCG), so a KVM failure means KVM, not a broken probe.
  const tcg = await probeBoot('tcg', guest, opts.tcgTimeoutMs ?? 30_000, qemu);
  if (!tcg.usable) throw new Error(`the KVM probe guest does not boot even under TCG: ${tcg.reason}; hint: check the probe guest and QEMU`);
  const kvm = await probeBoot('kvm', guest, timeoutMs, qemu);
  const choice = kvm.usable
    ? { accelerator: 'kvm' as const, reason: kvm.reason }
    : { accelerator: 'tcg' as const, reason: `KVM unusable: ${kvm.reason}` };
  opts.log.info('KVM probe', { ...choice, kvmMs: kvm.elapsedMs, tcgMs: tcg.elapsedMs });
  const tmp = `${cacheFile}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ ...choice, probedAt: new Date().toISOString() }));
  renameSync(tmp, cacheFile);
  return { ...choice, cached: false };
}
