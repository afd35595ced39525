// Reads the guest facts the test guest prints on its serial console (see test/guest/init-script.ts).
import { existsSync, readFileSync } from 'node:fs';
import { COUNTER_PREFIX, GUEST_MARKER } from '../../guest/init-script.js';

export function readSerial(file: string): string {
  return existsSync(file) ? readFileSync(file, 'latin1') : '';
}

export function counters(text: string): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const i = line.indexOf(COUNTER_PREFIX);
    if (i >= 0) {
      const n = Number.parseInt(line.slice(i + COUNTER_PREFIX.length), 10);
      if (Number.isFinite(n)) out.push(n);
    }
  }
  return out;
}

export function lastCounter(text: string): number | undefined {
  return counters(text).at(-1);
}

export function bootCount(text: string): number {
  return text.split(GUEST_MARKER).length - 1;
}
